// The textbook analysis the study lays its measurements beside, with every
// constant stated. N records of r = key + value bytes; D = N·r bytes of data.
//
// B+Tree, page size P: write amplification O(B) = P / r, since every insert
//   rewrites a whole page; read amplification O(log_B N) pages: the depth,
//   1 + ceil(log_F(N / (f·c))) with c records per full leaf, F children per
//   full branch and f = ln 2 ≈ 0.69 the fill random inserts leave.
// LSM, fanout k, memtable M: write amplification O(k · log_k(N/B)); here the
//   unit B is a memtable (an L0 file), so the term is k · log_k(D/M), plus 1
//   for the WAL and 1 for the flush. Tiered (size ratio 1, runs of equal size
//   merged pairwise) rewrites each byte once per doubling: log_2(D/M).
//   Read amplification without filters O(log²(N/B)) blocks (a binary search
//   in each of log levels); with filters close to one block: 1 + p·(runs − 1)
//   with p = 0.01 for 10 bits per key.
// The B+Tree's O(B) counts the leaf only. A copy-on-write B+Tree (this one,
//   LMDB, bbolt) rewrites the whole path of every leaf a commit touches, so
//   btreeCowWriteAmp models it without a fitted constant: per batch of b
//   random keys, the expected distinct nodes touched at each level
//   (m·(1 − (1 − 1/m)^b) of m nodes), plus one page per leaf split, plus the
//   catalog, freelist and meta pages, times P, over b·r; averaged over the
//   batches of the phase as the tree grows.
// Constants the textbook leaves open are fitted (the median ratio of measured
// to formula over the N values), and both the unfitted formula and the fit
// are reported.

export const LEAF_FILL = Math.LN2;
const PAGE_HEADER = 24;
const SLOT = 2;

export function btreeWriteAmp(pageSize: number, recordBytes: number): number {
  return pageSize / recordBytes;
}

/** Records per full leaf and children per full branch, from the page format (docs/format/btree.md). */
export function btreeCapacity(pageSize: number, valueBytes: number): { leaf: number; fanout: number } {
  const body = pageSize - PAGE_HEADER;
  const leafEntry = SLOT + 1 + 1 + (valueBytes < 128 ? 1 : 2) + 16 + valueBytes;
  const branchEntry = SLOT + 1 + 16 + 12;
  return { leaf: Math.max(1, Math.floor(body / leafEntry)), fanout: Math.floor(body / branchEntry) };
}

/**
 * Copy-on-write write amplification of `batches` batches of `batch` random
 * keys into a tree that starts with `from` records and, if `grow`, gains
 * `batch` records per batch (inserts; overwrites do not grow it). Branch
 * splits are left out: one per hundreds of leaf splits.
 */
export function btreeCowWriteAmp(pageSize: number, valueBytes: number, batch: number, from: number, batches: number, grow: boolean): number {
  const { leaf, fanout } = btreeCapacity(pageSize, valueBytes);
  const perLeaf = LEAF_FILL * leaf;
  const perBranch = LEAF_FILL * fanout;
  const touched = (m: number): number => (m <= 1 ? 1 : m * (1 - Math.pow(1 - 1 / m, batch)));
  let pages = 0;
  let records = from;
  for (let j = 0; j < batches; j++) {
    if (grow) records += batch;
    let nodes = Math.max(1, records / perLeaf);
    let level = touched(nodes);
    while (nodes > 1) {
      nodes = Math.max(1, nodes / perBranch);
      level += touched(nodes);
    }
    // A split writes two pages where the rewrite would write one; every leaf beyond the first came from one.
    pages += level + (grow ? batch / perLeaf : 0) + 3;
  }
  return (pages * pageSize) / (batches * batch * (16 + valueBytes));
}

export function btreeDepth(n: number, pageSize: number, valueBytes: number): number {
  const { leaf, fanout } = btreeCapacity(pageSize, valueBytes);
  const leaves = Math.max(1, n / (LEAF_FILL * leaf));
  return leaves <= 1 ? 1 : 1 + Math.ceil(Math.log(leaves) / Math.log(LEAF_FILL * fanout));
}

/** log_k(D/M), floored at 0. */
export function lsmLevels(dataBytes: number, memtableBytes: number, k: number): number {
  return dataBytes <= memtableBytes ? 0 : Math.log(dataBytes / memtableBytes) / Math.log(k);
}

/** The textbook compaction term: k · log_k(D/M) for leveled, log_2(D/M) for tiered. */
export function lsmCompactionTerm(style: 'leveled' | 'tiered', dataBytes: number, memtableBytes: number, k: number): number {
  return style === 'leveled' ? k * lsmLevels(dataBytes, memtableBytes, k) : lsmLevels(dataBytes, memtableBytes, 2);
}

/** Textbook reads per get without filters: log²(D/M), at least 1. */
export function lsmReadsNoFilter(dataBytes: number, memtableBytes: number, k: number): number {
  return Math.max(1, lsmLevels(dataBytes, memtableBytes, k) ** 2);
}

export function lsmReadsWithFilter(runs: number): number {
  return 1 + 0.01 * Math.max(0, runs - 1);
}

/** The median of measured / formula over points where the formula is positive. */
export function fitConstant(points: readonly { measured: number; formula: number }[]): number {
  const r = points.filter((p) => p.formula > 0 && p.measured > 0).map((p) => p.measured / p.formula).sort((a, b) => a - b);
  if (r.length === 0) return NaN;
  const mid = r.length >> 1;
  return r.length % 2 === 1 ? (r[mid] as number) : ((r[mid - 1] as number) + (r[mid] as number)) / 2;
}
