// The in-memory key index (etcd's treeIndex, reduced to what writes need):
// every live key's newest revision. A write looks its key up here instead
// of scanning the versions table, and a key that is not here does not
// exist, with no disk read at all. Rebuilt from the versions table at open
// and after a snapshot install; MvccStore updates it once a write commits.
// Memory: one Map entry per live key.

import type { ReadView } from '@strata/engine';
import { versionKeyPrefix, versionKeyRev } from './keys.js';
import { VERSIONS } from './tables.js';
import { bytesEqual } from '@strata/engine';

/** The map key of a user key. */
export const indexKey = (key: Uint8Array): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');

export class KeyIndex {
  readonly #rev = new Map<string, number>();

  /** Reads the newest version of every key; tombstoned keys are left out. */
  static async build(view: ReadView, decodeKey: (escaped: Uint8Array) => Uint8Array): Promise<KeyIndex> {
    const idx = new KeyIndex();
    let current: Uint8Array | undefined;
    for await (const { key: vk, value } of view.scan(VERSIONS)) {
      const prefix = versionKeyPrefix(vk);
      if (current !== undefined && bytesEqual(prefix, current)) continue;
      current = prefix.slice();
      if (((value[0] ?? 0) & 1) === 0) idx.#rev.set(indexKey(decodeKey(prefix)), versionKeyRev(vk));
    }
    return idx;
  }

  /** The revision of `key`'s newest live version, or undefined if it has none. */
  revisionOf(key: Uint8Array): number | undefined {
    return this.#rev.get(indexKey(key));
  }

  /** Records a committed put (rev) or delete (undefined) of `key`. */
  update(key: Uint8Array, rev: number | undefined): void {
    if (rev === undefined) this.#rev.delete(indexKey(key));
    else this.#rev.set(indexKey(key), rev);
  }

  get size(): number {
    return this.#rev.size;
  }
}
