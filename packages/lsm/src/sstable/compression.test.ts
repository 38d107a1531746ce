// Compression: lz4 is used exactly when it saves at least 1/8 of a block,
// round-trips, and bad payloads raise DecompressError (which the reader turns
// into Corruption), never a stray string or a wrong-sized result.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '@strata/vfs';
import { testSeed } from '@strata/vfs/testing';
import { compress } from 'lz4-wasm-nodejs';
import { compressBlock, decompressBlock, DecompressError } from './compression.js';
import { CompressionType } from './format.js';

/** `n` bytes of which a share `randomShare` is random, the rest a repeating pattern. */
function mixed(rng: Rng, n: number, randomShare: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.chance(randomShare) ? rng.int(256) : 0x61 + (i % 7);
  return out;
}

describe('block compression', () => {
  it('uses lz4 only when it saves at least 1/8, and round-trips either way', () => {
    const rng = new Rng(testSeed('compression threshold'));
    const seen = new Set<CompressionType>();
    for (let n = 0; n < 200; n++) {
      const raw = mixed(rng, rng.range(1, 8192), rng.float());
      const c = compressBlock(raw, 'lz4');
      const worth = raw.length >= 64 && compress(raw).length <= raw.length * 7 / 8;
      assert.equal(c.type, worth ? CompressionType.Lz4 : CompressionType.None, `${raw.length} bytes`);
      if (c.type === CompressionType.None) assert.equal(c.bytes, raw);
      seen.add(c.type);
      assert.deepEqual(decompressBlock(c.type, c.bytes), raw);
    }
    assert.equal(seen.size, 2, 'both outcomes were exercised');
  });

  it("'none' stores every block raw", () => {
    const raw = new Uint8Array(4096).fill(1);
    assert.equal(compressBlock(raw, 'none').type, CompressionType.None);
    assert.equal(compressBlock(raw, 'lz4').type, CompressionType.Lz4);
  });

  it('garbage lz4 payloads and unknown types throw DecompressError', () => {
    const rng = new Rng(testSeed('lz4 garbage'));
    assert.throws(() => decompressBlock(9, new Uint8Array(4)), DecompressError);
    assert.throws(() => decompressBlock(CompressionType.Lz4, Uint8Array.of(1, 2)), DecompressError);
    assert.throws(() => decompressBlock(CompressionType.Lz4, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0)), DecompressError);
    const good = compressBlock(mixed(rng, 4096, 0.1), 'lz4').bytes;
    for (let n = 0; n < 1000; n++) {
      const bad = good.slice();
      bad[rng.int(bad.length)] = rng.int(256);
      try {
        const out = decompressBlock(CompressionType.Lz4, bad);
        const declared = new DataView(bad.buffer).getUint32(0, true);
        assert.equal(out.length, declared);
      } catch (err) {
        assert.ok(err instanceof DecompressError, String(err));
      }
    }
  });
});
