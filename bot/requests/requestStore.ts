import { existsSync, readFileSync } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config.js';
import { AesGcmCipher, SealError, type FieldCipher } from './fieldCipher.js';

/** Refuses to seal: production without REQUEST_KEY, where forms with identity-document numbers are refused. */
class NoKeyCipher implements FieldCipher {
  seal(): string {
    throw new SealError('no REQUEST_KEY is configured, so identity-document numbers cannot be stored');
  }

  open(): string {
    throw new SealError('no REQUEST_KEY is configured, so sealed values cannot be read');
  }
}

/**
 * The cipher for sensitive request fields and whether it can seal. Outside production, a missing REQUEST_KEY is
 * replaced by a development key kept in DATA_DIR (so fields are still encrypted at rest); in production they are refused.
 */
export async function requestCipher(config: Config): Promise<{ cipher: FieldCipher; canSeal: boolean }> {
  const key = config.requestKey ?? (config.production ? undefined : await developmentKey(config.dataDir));
  return key ? { cipher: new AesGcmCipher(key), canSeal: true } : { cipher: new NoKeyCipher(), canSeal: false };
}

async function developmentKey(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'request-key.dev');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32);
  await writeFile(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
  return key;
}
