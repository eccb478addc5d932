/** A card as plain text a person would read: text blocks, facts as "title: value", buttons as "[title]". */
export function cardToText(card: unknown): { text: string; buttons: { title: string; data: unknown }[] } {
  const lines: string[] = [];
  const buttons: { title: string; data: unknown }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    if (typeof n['text'] === 'string') lines.push(n['text']);
    if (n['type'] === 'FactSet' && Array.isArray(n['facts'])) {
      for (const f of n['facts'] as { title?: unknown; value?: unknown }[]) lines.push(`${String(f.title ?? '')}: ${String(f.value ?? '')}`);
    }
    if (typeof n['label'] === 'string') lines.push(n['label']);
    if (typeof n['type'] === 'string' && n['type'].startsWith('Action.') && typeof n['title'] === 'string') {
      buttons.push({ title: n['title'], data: n['data'] });
      lines.push(`[${n['title']}]`);
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'facts' && key !== 'data') walk(value);
  };
  walk(card);
  return { text: lines.join('\n'), buttons };
}
