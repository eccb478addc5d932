import { createRequire } from 'node:module';
import type * as ACTypes from 'adaptivecards';

// The package's lib/ folder is extension-less ESM that plain Node cannot load; its UMD bundle loads anywhere.
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as typeof ACTypes;

/** What Microsoft's Adaptive Cards SDK reports about a card, as "Event: message" lines; empty when the card is valid. */
export function validateCard(json: unknown, hostVersion = '1.5'): string[] {
  const problems: string[] = [];
  const card = (typeof json === 'object' && json !== null ? json : {}) as { version?: unknown };
  const host = AC.Version.parse(hostVersion, new AC.SerializationContext());
  if (!host) throw new Error(`bad host version ${hostVersion}`);
  const declared = typeof card.version === 'string' ? AC.Version.parse(card.version, new AC.SerializationContext()) : undefined;
  if (!declared?.isValid) problems.push('MissingVersion: the card has no valid "version"');
  else if (declared.compareTo(host) > 0) problems.push(`UnsupportedCardVersion: ${card.version} is newer than ${hostVersion}`);
  const context = new AC.SerializationContext(declared?.isValid && declared.compareTo(host) < 0 ? declared : host);
  const parsed = new AC.AdaptiveCard();
  parsed.parse(json, context);
  const describe = (e: ACTypes.IValidationEvent) => `${AC.ValidationEvent[e.event]}: ${e.message}`;
  for (let i = 0; i < context.eventCount; i++) problems.push(describe(context.getEventAt(i)));
  for (const e of parsed.validateProperties().validationEvents) problems.push(describe(e));
  // The SDK does not catch these, and Teams shows an empty bubble for them.
  walk(json, (node) => {
    if (node['type'] === 'TextBlock' && (typeof node['text'] !== 'string' || node['text'].trim() === '')) problems.push('EmptyText: a TextBlock has no text');
    if (typeof node['text'] === 'string' && node['text'].includes('${')) problems.push(`UnboundTemplate: ${node['text']}`);
    if (typeof node['title'] === 'string' && node['title'].includes('${')) problems.push(`UnboundTemplate: ${node['title']}`);
  });
  const bytes = Buffer.byteLength(JSON.stringify(json));
  if (bytes > 28 * 1024) problems.push(`TooLarge: ${bytes} bytes`);
  return problems;
}

function walk(value: unknown, visit: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) value.forEach((v) => walk(v, visit));
  else if (typeof value === 'object' && value !== null) {
    visit(value as Record<string, unknown>);
    Object.values(value).forEach((v) => walk(v, visit));
  }
}
