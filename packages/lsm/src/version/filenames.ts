// Names of the files in an LSM directory (docs/format/manifest.md). The
// suffixes match vfs's default classifier, so I/O accounting sorts them into
// wal / sst / manifest without help.

/** A file number: WALs, SSTables and manifests share one increasing counter. */
export type FileNum = number & { readonly __brand: 'FileNum' };

const pad = (n: number): string => String(n).padStart(6, '0');

export const walName = (n: number): string => `${pad(n)}.log`;
export const sstName = (n: number): string => `${pad(n)}.sst`;
export const manifestName = (n: number): string => `MANIFEST-${pad(n)}`;
export const CURRENT = 'CURRENT';
export const CURRENT_TMP = 'CURRENT.tmp';
export const LOCK = 'LOCK';

export type ParsedName =
  | { readonly type: 'wal' | 'sst' | 'manifest'; readonly number: FileNum }
  | { readonly type: 'current' | 'lock' | 'temp' }
  | { readonly type: 'unknown' };

export function parseName(name: string): ParsedName {
  let m = /^(\d{6,})\.log$/.exec(name);
  if (m !== null) return { type: 'wal', number: Number(m[1]) as FileNum };
  m = /^(\d{6,})\.sst$/.exec(name);
  if (m !== null) return { type: 'sst', number: Number(m[1]) as FileNum };
  m = /^MANIFEST-(\d{6,})$/.exec(name);
  if (m !== null) return { type: 'manifest', number: Number(m[1]) as FileNum };
  if (name === CURRENT) return { type: 'current' };
  if (name === LOCK) return { type: 'lock' };
  if (name === CURRENT_TMP) return { type: 'temp' };
  return { type: 'unknown' };
}
