// The node a writer caches (encodeNode's result) must be exactly what a reader
// decodes from the same page: otherwise the cache and the file disagree.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareBytes } from '@strata/engine';
import { Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { Overflow, type Node, type Val } from '../tree/node.js';
import { PageType } from './format.js';
import { decodeNode, encodeNode, entrySize, type NodeEntries } from './node-codec.js';
import { readHeader } from './page.js';

const P = 1024;

function shape(n: Node): unknown {
  return {
    leaf: n.leaf,
    pgid: n.pgid,
    txid: n.txid,
    keys: n.keys.map((k) => [...k]),
    vals: n.vals.map((v) => (v instanceof Overflow ? { ...v } : [...v])),
    kids: [...n.kids],
    gens: [...n.gens],
  };
}

describe('node pages', () => {
  it('encodeNode returns what decodeNode reads back, for random leaves and branches', () => {
    const seed = testSeed('btree node codec');
    const rng = new Rng(seed);
    for (let round = 0; round < 300; round++) {
      const leaf = rng.chance(0.5);
      const keys = Array.from({ length: rng.range(1, 40) }, () => rng.bytes(rng.range(0, 12)))
        .sort(compareBytes)
        .filter((k, i, a) => i === 0 || compareBytes(a[i - 1] as Uint8Array, k) !== 0);
      const vals: Val[] = leaf ? keys.map(() => (rng.chance(0.2) ? new Overflow(rng.range(3, 99), rng.range(1, 4), rng.range(1, 50), rng.range(0, 900)) : rng.bytes(rng.range(0, 20)))) : [];
      const e: NodeEntries = { leaf, keys, vals, kids: leaf ? [] : keys.map(() => rng.range(3, 1000)), gens: leaf ? [] : keys.map(() => rng.range(1, 50)) };
      let size = 24;
      let to = 0;
      while (to < keys.length && size + entrySize(e, to) <= P) size += entrySize(e, to++);
      const from = Math.min(to - 1, rng.int(3));
      const page = new Uint8Array(P);
      const written = encodeNode(page, e, from, to, 7, 60);
      const read = decodeNode(page, readHeader(new DataView(page.buffer)), 'f', 0, P);
      assert.deepEqual(shape(written), shape(read), `seed ${seed} round ${round}`);
      assert.equal(readHeader(new DataView(page.buffer)).type, leaf ? PageType.Leaf : PageType.Branch);
    }
  });
});
