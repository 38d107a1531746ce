// The key a point lookup probes with (LevelDB's LookupKey): one buffer holding
// the table key and the seek trailer (seq, KIND_MAX), so a get builds its
// probe once and every source (memtables, filters, index and data blocks)
// reads the part it needs without another allocation. The engine reuses one
// per key length; a lookup is synchronous, so nothing else sees it mid-probe.

import { copyBytes } from '@strata/engine';
import { KIND_MAX, TABLE_ID_SIZE, TRAILER_SIZE, writeTrailer } from './internal-key.js';

export class LookupKey {
  /** (table key, seq, KIND_MAX): sorts first among the entries of the table key visible at seq. */
  readonly ikey: Uint8Array;
  /** The table key: a view of ikey without the trailer. */
  readonly tkey: Uint8Array;
  /** The filter hash of tkey, or -1 until the caller computes it (once per lookup). */
  hash = -1;
  #seq = 0;

  /** A lookup key for user keys of `keyLength` bytes. */
  constructor(keyLength: number) {
    this.ikey = new Uint8Array(TABLE_ID_SIZE + keyLength + TRAILER_SIZE);
    this.tkey = this.ikey.subarray(0, TABLE_ID_SIZE + keyLength);
  }

  /** The sequence number the lookup reads at. */
  get seq(): number {
    return this.#seq;
  }

  /** Points this key at (tableId, key) read at `seq`; key.length must be the constructor's keyLength. */
  set(tableId: number, key: Uint8Array, seq: number): this {
    const b = this.ikey;
    b[0] = tableId >>> 8;
    b[1] = tableId & 0xff;
    copyBytes(b, TABLE_ID_SIZE, key, 0, key.length);
    writeTrailer(b, this.tkey.length, seq, KIND_MAX);
    this.#seq = seq;
    this.hash = -1;
    return this;
  }
}
