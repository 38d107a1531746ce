// Which category a file belongs to, decided from its name. Engines name
// their files so that the default classifier sorts them; an engine with
// other names passes its own classifier to AccountingFileSystem.

import type { IoCategory } from './io-stats.js';

export type Classifier = (path: string) => IoCategory;

/**
 * By base name: *.wal and *.log are "wal", *.sst "sst", MANIFEST* and
 * CURRENT* "manifest", *.rlog (Raft log segments) "raftlog", *.pages and *.btree "page",
 * LOCK "lock", anything else "other".
 */
export const defaultClassifier: Classifier = (path) => {
  const slash = path.lastIndexOf('/');
  const base = slash < 0 ? path : path.slice(slash + 1);
  if (/\.(wal|log)$/.test(base)) return 'wal';
  if (base.endsWith('.sst')) return 'sst';
  if (base.startsWith('MANIFEST') || base.startsWith('CURRENT')) return 'manifest';
  if (base.endsWith('.rlog')) return 'raftlog';
  if (/\.(pages|btree)$/.test(base)) return 'page';
  if (base === 'LOCK') return 'lock';
  return 'other';
};
