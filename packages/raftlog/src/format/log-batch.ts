// A log batch: what one write() carries, for any number of Raft groups, and
// its encoding as a frame payload (docs/format/raftlog.md, "Batches"). The
// builder validates and copies its inputs, so a batch that was built can be
// encoded; decoding checks every field and names what is wrong.

import { ByteReader, ByteWriter, DecodeError, DecompressError, InvalidArgument, lz4Decompress, lz4IfSmaller } from '@strata/engine';
import { BodyCompression, ItemKind, LZ4_MIN_BODY } from './format.js';

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
}

/** Raft's persistent state: vote 0 means no vote. */
export interface HardState {
  readonly term: number;
  readonly vote: number;
  readonly commit: number;
}

export type Item =
  | { readonly kind: ItemKind.Append; readonly group: number; readonly entries: readonly Entry[] }
  | { readonly kind: ItemKind.Truncate; readonly group: number; readonly from: number }
  | { readonly kind: ItemKind.HardState; readonly group: number; readonly state: HardState }
  | { readonly kind: ItemKind.CompactTo; readonly group: number; readonly index: number }
  | { readonly kind: ItemKind.Reset; readonly group: number; readonly index: number }
  | { readonly kind: ItemKind.Put; readonly group: number; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly kind: ItemKind.Delete; readonly group: number; readonly key: Uint8Array };

function checkId(what: string, n: number, min = 0): void {
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgument(`${what} must be a safe integer of at least ${min}, got ${String(n)}`);
}

function checkBytes(what: string, b: unknown): Uint8Array {
  if (!(b instanceof Uint8Array)) throw new InvalidArgument(`${what} must be a Uint8Array`);
  return b.slice();
}

/** The operations of one write, applied in the order they were added. */
export class LogBatch {
  readonly #items: Item[] = [];
  #dataBytes = 0;

  get items(): readonly Item[] {
    return this.#items;
  }

  get isEmpty(): boolean {
    return this.#items.length === 0;
  }

  /** Entry data and key/value bytes the batch carries. */
  get dataBytes(): number {
    return this.#dataBytes;
  }

  /** Appends entries with consecutive indexes and non-decreasing terms; they replace any entries of `group` at or after the first. */
  append(group: number, entries: readonly Entry[]): this {
    checkId('group', group);
    if (entries.length === 0) return this;
    const copied: Entry[] = [];
    let bytes = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry;
      checkId('entry index', e.index, 1);
      checkId('entry term', e.term);
      if (i > 0) {
        const prev = copied[i - 1] as Entry;
        if (e.index !== prev.index + 1) throw new InvalidArgument(`entry indexes must be consecutive: ${e.index} follows ${prev.index}`);
        if (e.term < prev.term) throw new InvalidArgument(`entry terms must not decrease: term ${e.term} at index ${e.index} follows ${prev.term}`);
      }
      const data = checkBytes('entry data', e.data);
      copied.push({ index: e.index, term: e.term, data });
      bytes += data.length;
    }
    this.#items.push({ kind: ItemKind.Append, group, entries: copied });
    this.#dataBytes += bytes;
    return this;
  }

  /** Removes the entries of `group` at or after `from`. */
  truncate(group: number, from: number): this {
    checkId('group', group);
    checkId('truncate index', from, 1);
    this.#items.push({ kind: ItemKind.Truncate, group, from });
    return this;
  }

  setHardState(group: number, state: HardState): this {
    checkId('group', group);
    checkId('hard state term', state.term);
    checkId('hard state vote', state.vote);
    checkId('hard state commit', state.commit);
    this.#items.push({ kind: ItemKind.HardState, group, state: { term: state.term, vote: state.vote, commit: state.commit } });
    return this;
  }

  /** Entries of `group` below `index` are no longer needed. */
  compactTo(group: number, index: number): this {
    checkId('group', group);
    checkId('compact index', index, 1);
    this.#items.push({ kind: ItemKind.CompactTo, group, index });
    return this;
  }

  /** Drops every entry of `group`; its next entry is at `index` (as when installing a snapshot at index − 1). */
  reset(group: number, index: number): this {
    checkId('group', group);
    checkId('reset index', index, 1);
    this.#items.push({ kind: ItemKind.Reset, group, index });
    return this;
  }

  put(group: number, key: Uint8Array, value: Uint8Array): this {
    checkId('group', group);
    const k = checkBytes('key', key);
    const v = checkBytes('value', value);
    this.#dataBytes += k.length + v.length;
    this.#items.push({ kind: ItemKind.Put, group, key: k, value: v });
    return this;
  }

  delete(group: number, key: Uint8Array): this {
    checkId('group', group);
    const k = checkBytes('key', key);
    this.#dataBytes += k.length;
    this.#items.push({ kind: ItemKind.Delete, group, key: k });
    return this;
  }
}

/** The uncompressed body of `items`. */
export function encodeBody(items: readonly Item[]): Uint8Array {
  return encodeWithLead(items, 0, []);
}

/** `lead` zero bytes, then the body of `items`, in one buffer; pushes to `dataAt` where each Append's data starts in the body. */
function encodeWithLead(items: readonly Item[], lead: number, dataAt: number[]): Uint8Array {
  let size = lead + 16;
  for (const it of items) {
    size += 24;
    if (it.kind === ItemKind.Append) for (const e of it.entries) size += 16 + e.data.length;
    else if (it.kind === ItemKind.Put) size += it.key.length + it.value.length + 10;
    else if (it.kind === ItemKind.Delete) size += it.key.length + 5;
  }
  const w = new ByteWriter(size);
  for (let i = 0; i < lead; i++) w.u8(0);
  w.varint(items.length);
  for (const it of items) {
    w.varint(it.group).u8(it.kind);
    switch (it.kind) {
      case ItemKind.Append: {
        const first = it.entries[0] as Entry;
        w.varint(first.index).varint(it.entries.length).varint(first.term);
        for (let i = 1; i < it.entries.length; i++) w.varint((it.entries[i] as Entry).term - (it.entries[i - 1] as Entry).term);
        for (const e of it.entries) w.varint(e.data.length);
        dataAt.push(w.length - lead);
        for (const e of it.entries) w.raw(e.data);
        break;
      }
      case ItemKind.Truncate:
        w.varint(it.from);
        break;
      case ItemKind.HardState:
        w.varint(it.state.term).varint(it.state.vote).varint(it.state.commit);
        break;
      case ItemKind.CompactTo:
      case ItemKind.Reset:
        w.varint(it.index);
        break;
      case ItemKind.Put:
        w.bytes(it.key).bytes(it.value);
        break;
      case ItemKind.Delete:
        w.bytes(it.key);
        break;
    }
  }
  return w.finish();
}

/** An append as decoded: entry data stays in the body, located by offset and length. */
export interface DecodedAppend {
  readonly kind: ItemKind.Append;
  readonly group: number;
  readonly firstIndex: number;
  readonly terms: readonly number[];
  readonly offsets: readonly number[];
  readonly lengths: readonly number[];
}

export type DecodedItem = Exclude<Item, { readonly kind: ItemKind.Append }> | DecodedAppend;

/** Decodes a body; throws DecodeError naming the first bad field. */
export function decodeBody(body: Uint8Array): DecodedItem[] {
  const r = new ByteReader(body);
  const count = r.varint();
  if (count > body.length) throw new DecodeError(`${count} items cannot fit ${body.length} bytes`, 0);
  const out: DecodedItem[] = [];
  for (let n = 0; n < count; n++) {
    const group = r.varint();
    const at = r.position;
    const kind = r.u8() as ItemKind;
    switch (kind) {
      case ItemKind.Append: {
        const firstIndex = r.varint();
        const entries = r.varint();
        if (firstIndex < 1) throw new DecodeError('append from index 0', at);
        if (entries < 1 || entries > body.length) throw new DecodeError(`append of ${entries} entries`, at);
        const terms: number[] = [r.varint()];
        for (let i = 1; i < entries; i++) {
          const t = (terms[i - 1] as number) + r.varint();
          if (!Number.isSafeInteger(t)) throw new DecodeError('entry term out of range', r.position);
          terms.push(t);
        }
        const lengths: number[] = [];
        for (let i = 0; i < entries; i++) lengths.push(r.varint());
        const offsets: number[] = [];
        for (const len of lengths) {
          offsets.push(r.position);
          r.raw(len);
        }
        if (!Number.isSafeInteger(firstIndex + entries)) throw new DecodeError('entry index out of range', at);
        out.push({ kind, group, firstIndex, terms, offsets, lengths });
        break;
      }
      case ItemKind.Truncate: {
        const from = r.varint();
        if (from < 1) throw new DecodeError('truncate from index 0', at);
        out.push({ kind, group, from });
        break;
      }
      case ItemKind.HardState:
        out.push({ kind, group, state: { term: r.varint(), vote: r.varint(), commit: r.varint() } });
        break;
      case ItemKind.CompactTo:
      case ItemKind.Reset: {
        const index = r.varint();
        if (index < 1) throw new DecodeError(`${kind === ItemKind.Reset ? 'reset' : 'compact'} to index 0`, at);
        out.push({ kind, group, index });
        break;
      }
      case ItemKind.Put:
        out.push({ kind, group, key: r.bytes(), value: r.bytes() });
        break;
      case ItemKind.Delete:
        out.push({ kind, group, key: r.bytes() });
        break;
      default:
        throw new DecodeError(`unknown item kind ${String(kind)}`, at);
    }
  }
  r.expectEnd();
  return out;
}

/** A batch encoded for the log. */
export interface EncodedBatch {
  /** `headroom` reserved bytes, then the frame payload: a compression byte and the stored body. */
  readonly frame: Uint8Array;
  /** The uncompressed body (a view into `frame` when it is stored as is). */
  readonly body: Uint8Array;
  /** For each Append item, in order, where its first entry's data starts in `body`. */
  readonly dataAt: readonly number[];
}

/**
 * Encodes `items` after `headroom` reserved bytes (room for a frame header,
 * so the frame is sealed in place without copying the payload): a
 * compression byte, then the body, lz4 compressed when it is at least
 * LZ4_MIN_BODY bytes and that saves an eighth.
 */
export function encodeBatch(items: readonly Item[], headroom = 0): EncodedBatch {
  const lead = headroom + 1;
  const dataAt: number[] = [];
  const raw = encodeWithLead(items, lead, dataAt);
  const body = raw.subarray(lead);
  const lz = body.length >= LZ4_MIN_BODY ? lz4IfSmaller(body) : undefined;
  if (lz === undefined) {
    raw[headroom] = BodyCompression.None;
    return { frame: raw, body, dataAt };
  }
  const frame = new Uint8Array(lead + lz.length);
  frame[headroom] = BodyCompression.Lz4;
  frame.set(lz, lead);
  return { frame, body, dataAt };
}

/** A decoded frame payload: the body (entry data is located in it) and its items. */
export interface DecodedBatch {
  readonly body: Uint8Array;
  readonly items: readonly DecodedItem[];
}

/** Decodes a frame payload; throws DecodeError naming what is wrong. */
export function decodeBatch(payload: Uint8Array): DecodedBatch {
  if (payload.length < 1) throw new DecodeError('empty batch', 0);
  const compression = payload[0] as BodyCompression;
  let body: Uint8Array;
  if (compression === BodyCompression.None) body = payload.subarray(1);
  else if (compression === BodyCompression.Lz4) {
    try {
      body = lz4Decompress(payload.subarray(1));
    } catch (err) {
      if (err instanceof DecompressError) throw new DecodeError(err.message, 1);
      throw err;
    }
  } else throw new DecodeError(`unknown body compression ${String(compression)}`, 0);
  return { body, items: decodeBody(body) };
}
