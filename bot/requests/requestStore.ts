import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config.js';
import { AesGcmCipher, SealError, type FieldCipher } from './fieldCipher.js';
import { DataFolderError, StoreFileError } from '../storage/lowdbDocument.js';

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

/**
 * The development key in DATA_DIR, made once. It is written whole (a temporary file linked into place, which fails when
 * another process made one first) and checked when read: the fields it sealed cannot be read without it.
 */
async function developmentKey(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'request-key.dev');
  const advice = 'Without it the identity-document numbers already stored cannot be read: restore it from a backup, or move it aside to make a new key.';
  try {
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    if (key.length !== 32) throw new StoreFileError(file, 'it is not a 32-byte key written in base64', advice);
    return key;
  } catch (error) {
    if (error instanceof StoreFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new StoreFileError(file, `it cannot be read (${code ?? (error as Error).message})`, advice);
  }
  const key = randomBytes(32);
  const temp = path.join(dataDir, `.request-key.dev.${process.pid}.tmp`);
  let made: boolean;
  try {
    await mkdir(dataDir, { recursive: true });
    await writeFile(temp, key.toString('base64'), { mode: 0o600 });
    made = await link(temp, file).then(
      () => true,
      (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      },
    );
  } catch (error) {
    throw new DataFolderError(dataDir, `the development key cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  } finally {
    await rm(temp, { force: true });
  }
  // Another process made the key first: use that one.
  return made ? key : developmentKey(dataDir);
}
