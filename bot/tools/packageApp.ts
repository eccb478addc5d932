import dotenv from 'dotenv';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { zipSync } from 'fflate';
import { projectRoot } from '../paths.js';

const placeholder = /\$\{\{([A-Z0-9_]+)\}\}/g;
const icons = { 'color.png': 192, 'outline.png': 32 } as const;

/** Fills every `${{NAME}}` in the template's strings; names with no value are reported, not guessed. */
export function buildManifest(template: unknown, values: Readonly<Record<string, string>>): { manifest: Record<string, unknown>; missing: string[] } {
  const missing = new Set<string>();
  const fill = (node: unknown): unknown => {
    if (typeof node === 'string') {
      return node.replace(placeholder, (whole, name: string) => {
        const value = values[name];
        if (value === undefined || value === '') missing.add(name);
        return value ?? whole;
      });
    }
    if (Array.isArray(node)) return node.map(fill);
    if (typeof node === 'object' && node !== null) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v)]));
    return node;
  };
  const manifest = fill(template);
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) throw new Error('the manifest template is not a JSON object');
  return { manifest: manifest as Record<string, unknown>, missing: [...missing] };
}

/** Width and height from a PNG's IHDR chunk, or undefined when the bytes are not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || signature.some((b, i) => bytes[i] !== b)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

const teamsSchemaUrl = /^https:\/\/developer\.microsoft\.com\/(?:[a-z]{2}(?:-[a-z]{2})?\/)?json-schemas\/teams\/(v[0-9.]+|vDevPreview)\/MicrosoftTeams\.schema\.json$/i;

/**
 * Why the manifest's `$schema` cannot be checked offline, or undefined when @microsoft/app-manifest bundles it.
 * validateAgainstSchema downloads any schema it does not bundle, so packaging refuses those instead.
 */
function schemaProblem(schemaUrl: unknown): string | undefined {
  const version = typeof schemaUrl === 'string' ? teamsSchemaUrl.exec(schemaUrl)?.[1] : undefined;
  if (version) {
    try {
      createRequire(import.meta.url).resolve(`@microsoft/app-manifest/build/json-schemas/teams/${version}/MicrosoftTeams.schema.json`);
      return undefined;
    } catch {
      // not bundled: fall through
    }
  }
  return `manifest.json $schema ${JSON.stringify(schemaUrl)} is not a Teams schema bundled with @microsoft/app-manifest (packaging validates offline only)`;
}

/**
 * Validates the filled manifest against Microsoft's bundled schema (offline) and the icon sizes,
 * then writes the zip Teams accepts. Returns every problem; on any problem no zip is written.
 */
export async function packageApp(options: { appPackageDir: string; outFile: string; values: Readonly<Record<string, string>> }): Promise<string[]> {
  const template: unknown = JSON.parse(await readFile(path.join(options.appPackageDir, 'manifest.json'), 'utf8'));
  const { manifest, missing } = buildManifest(template, options.values);
  const problems = missing.map((name) => `${name} is not set (the manifest needs it)`);
  const unbundled = schemaProblem(manifest['$schema']);
  if (unbundled) problems.push(unbundled);
  else if (missing.length === 0) {
    const schemaErrors = await AppManifestUtils.validateAgainstSchema(manifest as unknown as Parameters<typeof AppManifestUtils.validateAgainstSchema>[0]);
    problems.push(...schemaErrors.map((e) => `manifest.json${e}`));
  }
  const files: Record<string, Uint8Array> = {};
  for (const [name, expected] of Object.entries(icons)) {
    const bytes = await readFile(path.join(options.appPackageDir, name)).then(
      (b) => new Uint8Array(b),
      (e: unknown) => {
        problems.push(`${name} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
        return undefined;
      },
    );
    if (!bytes) continue;
    const size = pngSize(bytes);
    if (!size) problems.push(`${name} is not a PNG`);
    else if (size.width !== expected || size.height !== expected) problems.push(`${name} is ${size.width}x${size.height}; Teams needs ${expected}x${expected}`);
    files[name] = bytes;
  }
  if (problems.length > 0) return problems;
  files['manifest.json'] = new TextEncoder().encode(JSON.stringify(manifest, null, 2));
  await mkdir(path.dirname(options.outFile), { recursive: true });
  await writeFile(options.outFile, zipSync(files));
  return [];
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads and checks the packaging settings from the environment; every problem is listed. */
export function packageValues(env: NodeJS.ProcessEnv): { values: Record<string, string>; problems: string[] } {
  const get = (key: string) => env[key]?.trim() ?? '';
  const values: Record<string, string> = {
    TEAMS_APP_ID: get('TEAMS_APP_ID'),
    BOT_ID: get('BOT_ID') || get('MicrosoftAppId'),
    BOT_DOMAIN: get('BOT_DOMAIN'),
    APP_WEBSITE_URL: get('APP_WEBSITE_URL'),
    APP_PRIVACY_URL: get('APP_PRIVACY_URL'),
    APP_TERMS_URL: get('APP_TERMS_URL'),
  };
  const problems: string[] = [];
  for (const key of ['TEAMS_APP_ID', 'BOT_ID'] as const) {
    if (!guid.test(values[key] ?? '')) problems.push(`${key} must be a GUID${key === 'BOT_ID' ? ' (or set MicrosoftAppId)' : ''}`);
  }
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i.test(values['BOT_DOMAIN'] ?? '')) {
    problems.push('BOT_DOMAIN must be a host name without https://, e.g. smartcard-assistant.azurewebsites.net');
  }
  for (const key of ['APP_WEBSITE_URL', 'APP_PRIVACY_URL', 'APP_TERMS_URL'] as const) {
    if (!URL.canParse(values[key] ?? '') || !values[key]?.startsWith('https://')) problems.push(`${key} must be an https:// address`);
  }
  return { values, problems };
}

// Run as `npm run package`: settings from the environment or .env, zip into build/.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  dotenv.config({ quiet: true });
  const root = projectRoot();
  const { values, problems } = packageValues(process.env);
  const outFile = path.join(root, 'build', 'appPackage.zip');
  const all = problems.length > 0 ? problems : await packageApp({ appPackageDir: path.join(root, 'appPackage'), outFile, values });
  if (all.length > 0) {
    console.error(`Cannot build the Teams app package:\n${all.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  console.log(`Teams app package written to ${path.relative(process.cwd(), outFile) || outFile}: upload it in Teams (Apps > Manage your apps > Upload an app).`);
}
