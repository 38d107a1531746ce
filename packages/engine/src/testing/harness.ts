// How the conformance suite gets engines. A factory opens a fresh, empty
// engine; a harness around it can reopen it on the same storage (persistent
// engines only) and dispose of it.

import type { StorageEngine } from '../storage-engine.js';

export interface EngineHarness {
  /** The engine under test; reopen() replaces it. */
  readonly engine: StorageEngine;
  /** Closes the engine cleanly and opens it again on the same storage; undefined for engines that do not persist. */
  readonly reopen: (() => Promise<void>) | undefined;
  /** Closes the engine and frees its storage. */
  dispose(): Promise<void>;
}

export interface EngineFactory {
  /** Shown in test names. */
  readonly name: string;
  /** Opens a fresh, empty engine declaring `tables`. */
  open(tables: readonly string[]): Promise<EngineHarness>;
}

/** A harness for an engine that can be reopened by calling `open` again on the same storage. */
export async function harness(
  open: () => Promise<StorageEngine>,
  options: { readonly persistent: boolean; readonly cleanup?: () => void | Promise<void> },
): Promise<EngineHarness> {
  let engine = await open();
  const h = {
    get engine(): StorageEngine {
      return engine;
    },
    reopen: options.persistent
      ? async (): Promise<void> => {
          await engine.close();
          engine = await open();
        }
      : undefined,
    dispose: async (): Promise<void> => {
      await engine.close();
      await options.cleanup?.();
    },
  };
  return h;
}
