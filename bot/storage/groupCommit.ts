/**
 * Group commit for stores that rewrite a whole file (lowdb): a change is applied in memory first, then waits here for
 * a write. Changes made while a write is under way go to the file together in the next write, so a busy store writes
 * a few times a second instead of once per change. Each change resolves only once a write holding it has finished;
 * when a write fails, every change not yet in the file is handed to `refuse` (to put memory back as the file is) and
 * rejected, so nobody is told something was saved when it was not.
 */
export class GroupCommit<Entry> {
  #pending: { readonly entry: Entry; readonly done: () => void; readonly fail: (error: unknown) => void }[] = [];
  #writing: Promise<void> | undefined;

  /**
   * `write` puts memory as it is when called into the file (the adapter serialises it before its first await);
   * `refuse` gets the entries of every change a failed write leaves out of the file, oldest first.
   */
  constructor(
    private readonly write: () => Promise<void>,
    private readonly refuse: (refused: readonly Entry[]) => Promise<void> | void,
  ) {}

  /** Registers a change already applied in memory; resolves once it is in the file. Call it in the same tick as the change. */
  add(entry: Entry): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ entry, done: resolve, fail: reject });
      this.#writing ??= this.#loop();
    });
  }

  /** Some change is not yet in the file (or refused). */
  get busy(): boolean {
    return this.#writing !== undefined;
  }

  /** Resolves once every change added so far is in the file or refused. */
  async idle(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  async #loop(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0);
        try {
          await this.write();
        } catch (error) {
          const refused = [...batch, ...this.#pending.splice(0)];
          await this.refuse(refused.map((r) => r.entry));
          for (const r of refused) r.fail(error);
          continue;
        }
        for (const r of batch) r.done();
      }
    } finally {
      this.#writing = undefined;
    }
  }
}
