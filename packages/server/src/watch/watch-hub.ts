// Watchers and their fan-out (etcd's watchable store). A watcher is synced
// once it has seen every revision up to the store's current one; then each
// commit reaches it from the store's commit callback, in revision order. A
// watcher created at a past revision is unsynced: it reads history from the
// store until it reaches the current revision (commits meanwhile are left to
// that reading), then turns synced in the same turn as its last check, so no
// revision is skipped or sent twice. The store calls commit() synchronously
// as its current revision moves.

import { compareBytes } from '@strata/engine';
import type { Event } from '../kv/kv-types.js';
import { isEtcdError } from '../errors.js';

export interface WatchSource {
  readonly currentRevision: number;
  readonly compactRevision: number;
  /** Events of revisions [from, to] on keys in [key, rangeEnd), in revision order; Compacted if from is compacted away. */
  events(from: number, to: number, key: Uint8Array, rangeEnd: Uint8Array): AsyncIterable<Event>;
}

export interface WatchSpec {
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array;
  /** First revision to deliver; 0 means "after the current one". */
  readonly startRevision: number;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
}

/** What a watcher hands its stream: events at `revision`, or a compaction notice (then the watcher is gone). */
export type WatchDelivery =
  | { readonly type: 'events'; readonly revision: number; readonly events: readonly Event[] }
  | { readonly type: 'compacted'; readonly compactRevision: number }
  | { readonly type: 'error'; readonly error: Error };

/** Does `k` fall in etcd's range (key, rangeEnd): empty end = just key; "\0" = every key ≥ key. */
export function inRange(k: Uint8Array, key: Uint8Array, rangeEnd: Uint8Array): boolean {
  if (rangeEnd.length === 0) return compareBytes(k, key) === 0;
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return compareBytes(k, key) >= 0;
  return compareBytes(k, key) >= 0 && compareBytes(k, rangeEnd) < 0;
}

export class Watcher {
  readonly spec: WatchSpec;
  readonly deliver: (d: WatchDelivery) => void;
  /** Next revision this watcher has not seen. */
  next: number;
  synced = false;
  closed = false;

  constructor(spec: WatchSpec, next: number, deliver: (d: WatchDelivery) => void) {
    this.spec = spec;
    this.next = next;
    this.deliver = deliver;
  }

  /** The events of one revision this watcher wants, with prev_kv stripped unless asked. */
  select(events: readonly Event[]): Event[] {
    const out: Event[] = [];
    for (const e of events) {
      if (!inRange(e.kv.key, this.spec.key, this.spec.rangeEnd)) continue;
      if (e.type === 0 ? this.spec.noPut : this.spec.noDelete) continue;
      out.push(this.spec.prevKv ? e : { ...e, prev_kv: null });
    }
    return out;
  }
}

export class WatchHub {
  readonly #source: WatchSource;
  readonly #synced = new Set<Watcher>();
  #count = 0;

  constructor(source: WatchSource) {
    this.#source = source;
  }

  get size(): number {
    return this.#count;
  }

  /** Starts a watcher; deliveries begin asynchronously. */
  watch(spec: WatchSpec, deliver: (d: WatchDelivery) => void): Watcher {
    const current = this.#source.currentRevision;
    const start = spec.startRevision > 0 ? spec.startRevision : current + 1;
    const w = new Watcher(spec, start, deliver);
    this.#count++;
    if (start > current) {
      w.synced = true;
      this.#synced.add(w);
    } else {
      void this.#catchUp(w);
    }
    return w;
  }

  cancel(w: Watcher): void {
    if (w.closed) return;
    w.closed = true;
    this.#count--;
    this.#synced.delete(w);
  }

  /** Every synced watcher is at the current revision (a progress notification may be sent). */
  allSynced(watchers: Iterable<Watcher>): boolean {
    for (const w of watchers) if (!w.closed && !w.synced) return false;
    return true;
  }

  /** The store committed `revision` with these events (called in revision order). */
  commit(revision: number, events: readonly Event[]): void {
    for (const w of this.#synced) {
      if (w.next > revision) continue;
      w.next = revision + 1;
      const mine = w.select(events);
      if (mine.length > 0) w.deliver({ type: 'events', revision, events: mine });
    }
  }

  async #catchUp(w: Watcher): Promise<void> {
    try {
      while (!w.closed) {
        const to = this.#source.currentRevision;
        if (w.next > to) {
          w.synced = true;
          this.#synced.add(w);
          return;
        }
        if (w.next < this.#source.compactRevision) {
          w.deliver({ type: 'compacted', compactRevision: this.#source.compactRevision });
          this.cancel(w);
          return;
        }
        let batch: Event[] = [];
        let batchRev = 0;
        const flush = (): void => {
          if (batch.length > 0 && !w.closed) w.deliver({ type: 'events', revision: batchRev, events: batch });
          batch = [];
        };
        for await (const e of this.#source.events(w.next, to, w.spec.key, w.spec.rangeEnd)) {
          if (w.closed) return;
          const rev = Number(e.kv.mod_revision);
          const mine = w.select([e]);
          if (mine.length === 0) continue;
          if (batch.length >= 1000 && rev !== batchRev) flush();
          batchRev = rev;
          batch.push(...mine);
        }
        // One response for the caught-up range, stamped with its last revision (etcd stamps the store's).
        if (batch.length > 0 && !w.closed) w.deliver({ type: 'events', revision: to, events: batch });
        w.next = to + 1;
      }
    } catch (err) {
      if (isEtcdError(err, 'Compacted')) {
        w.deliver({ type: 'compacted', compactRevision: this.#source.compactRevision });
      } else {
        w.deliver({ type: 'error', error: err instanceof Error ? err : new Error(String(err)) });
      }
      this.cancel(w);
    }
  }
}
