import { stopAzurite } from './azurite.js';

/** Mocha root hooks for the whole run: the shared Azurite, if a suite started one, stops when the run ends. */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopAzurite();
  },
};
