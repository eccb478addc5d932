import { createHash } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import { BlobsStorage } from 'botbuilder-azure-blobs';

/**
 * Bot state (conversation and user state) in one blob container shared by every instance, with botbuilder's ETag
 * checks. BlobsStorage drops empty path segments and cuts keys at 1,024 characters, so two state keys could land on
 * one blob (`a/b/` and `a/b`): each key is encoded whole first, and a long one hashed, so every key has its own blob.
 */
export class AzureBotState implements Storage {
  private readonly blobs: BlobsStorage;

  constructor(connectionString: string, container: string) {
    // A turn has about 15 seconds before Teams gives up on it: a few quick retries, not the SDK's 30-odd seconds.
    this.blobs = new BlobsStorage(connectionString, container, { storagePipelineOptions: { retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000, tryTimeoutInMs: 10_000 } } });
  }

  async read(keys: string[]): Promise<StoreItems> {
    if (!keys) throw new ReferenceError('Keys are required when reading.');
    const found = await this.blobs.read(keys.map(blobKey));
    const items: StoreItems = {};
    for (const key of keys) {
      const item: unknown = found[blobKey(key)];
      if (item !== undefined) items[key] = item;
    }
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    if (!changes) throw new ReferenceError('Changes are required when writing.');
    try {
      await this.blobs.write(Object.fromEntries(Object.entries(changes).map(([key, item]) => [blobKey(key), item])));
    } catch (error) {
      // Name the key the caller knows, not its blob name.
      if (error instanceof Error) {
        for (const key of Object.keys(changes)) error.message = error.message.replace(`"${blobKey(key)}"`, `"${key}"`);
      }
      throw error;
    }
  }

  async delete(keys: string[]): Promise<void> {
    if (!keys) throw new ReferenceError('Keys are required when deleting.');
    await this.blobs.delete(keys.map(blobKey));
  }
}

function blobKey(key: string): string {
  const whole = encodeURIComponent(key);
  // Blob names stop at 1,024 characters, and BlobsStorage encodes once more.
  return whole.length <= 300 ? whole : `sha256-${createHash('sha256').update(key).digest('hex')}`;
}
