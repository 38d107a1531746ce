// etcd's Watch service: one bidirectional stream carries many watches.
// Create (key/range, start_revision, prev_kv, filters, progress_notify, a
// client-chosen or automatic watch_id), cancel, and progress requests, as
// etcd 3.4 answers them. A watch from a compacted revision is answered with
// compact_revision and canceled. Responses go out in order through one
// writer per stream that waits for the socket to drain.

import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Event } from '../kv/kv-types.js';
import type { ResponseHeader, ServerContext } from './context.js';
import type { Watcher } from '../watch/watch-hub.js';

interface WatchCreateRequest {
  readonly key: Buffer;
  readonly range_end: Buffer;
  readonly start_revision: string;
  readonly progress_notify: boolean;
  readonly filters: readonly number[];
  readonly prev_kv: boolean;
  readonly watch_id: string;
  readonly fragment: boolean;
}

interface WatchRequest {
  readonly request_union?: 'create_request' | 'cancel_request' | 'progress_request';
  readonly create_request?: WatchCreateRequest | null;
  readonly cancel_request?: { readonly watch_id: string } | null;
}

interface WatchResponse {
  readonly header: ResponseHeader;
  readonly watch_id: string;
  readonly created?: boolean;
  readonly canceled?: boolean;
  readonly compact_revision?: string;
  readonly cancel_reason?: string;
  readonly events?: readonly Event[];
}

const FILTER_NOPUT = 0;
const FILTER_NODELETE = 1;

export function watchService(ctx: ServerContext): UntypedServiceImplementation {
  return {
    Watch(call: ServerDuplexStream<WatchRequest, WatchResponse>): void {
      const watchers = new Map<string, { w: Watcher; progress: boolean }>();
      let nextId = 0n;
      let closed = false;
      const queue: WatchResponse[] = [];
      let draining = false;

      const pump = (): void => {
        while (queue.length > 0 && !closed) {
          const r = queue.shift();
          if (r === undefined) break;
          if (!call.write(r)) {
            draining = true;
            call.once('drain', () => {
              draining = false;
              pump();
            });
            return;
          }
        }
      };
      const send = (r: WatchResponse): void => {
        if (closed) return;
        queue.push(r);
        if (!draining) pump();
      };
      const closeAll = (): void => {
        if (closed) return;
        closed = true;
        clearInterval(progressTimer);
        for (const { w } of watchers.values()) ctx.hub.cancel(w);
        watchers.clear();
        ctx.metrics.watchers.set(ctx.hub.size);
      };
      const progressTimer = setInterval(() => {
        for (const [id, { w, progress }] of watchers) {
          if (progress && w.synced) send({ header: ctx.header(), watch_id: id });
        }
      }, ctx.config.watchProgressNotifyInterval);
      progressTimer.unref();

      const create = (c: WatchCreateRequest): void => {
        let id: string;
        if (c.watch_id !== '0' && c.watch_id !== '') {
          id = c.watch_id;
          if (watchers.has(id)) {
            send({ header: ctx.header(), watch_id: id, created: true, canceled: true, cancel_reason: 'etcdserver: duplicate watch ID' });
            return;
          }
        } else {
          while (watchers.has(String(nextId))) nextId++;
          id = String(nextId++);
        }
        const end = c.range_end;
        if (end.length > 0 && !(end.length === 1 && end[0] === 0) && Buffer.compare(c.key, end) >= 0) {
          send({ header: ctx.header(), watch_id: id, created: true, canceled: true, cancel_reason: 'etcdserver: watch range is empty' });
          return;
        }
        const startRevision = Number(c.start_revision);
        // The created response goes first; deliveries start on a later turn.
        send({ header: ctx.header(), watch_id: id, created: true });
        const w = ctx.hub.watch(
          {
            key: c.key,
            rangeEnd: end,
            startRevision: Number.isSafeInteger(startRevision) && startRevision > 0 ? startRevision : 0,
            prevKv: c.prev_kv,
            noPut: c.filters.includes(FILTER_NOPUT),
            noDelete: c.filters.includes(FILTER_NODELETE),
          },
          (d) => {
            if (d.type === 'events') send({ header: ctx.header(d.revision), watch_id: id, events: d.events });
            else if (d.type === 'compacted') {
              watchers.delete(id);
              send({ header: ctx.header(), watch_id: id, canceled: true, compact_revision: String(d.compactRevision) });
            } else {
              watchers.delete(id);
              ctx.logger.error({ err: d.error, watchId: id }, 'watch failed');
              send({ header: ctx.header(), watch_id: id, canceled: true, cancel_reason: d.error.message });
            }
          },
        );
        watchers.set(id, { w, progress: c.progress_notify });
        ctx.metrics.watchers.set(ctx.hub.size);
      };

      call.on('data', (req: WatchRequest) => {
        if (closed) return;
        if (req.request_union === 'create_request' && req.create_request) create(req.create_request);
        else if (req.request_union === 'cancel_request' && req.cancel_request) {
          const id = req.cancel_request.watch_id;
          const entry = watchers.get(id);
          if (entry !== undefined) {
            ctx.hub.cancel(entry.w);
            watchers.delete(id);
            ctx.metrics.watchers.set(ctx.hub.size);
          }
          send({ header: ctx.header(), watch_id: id, canceled: true });
        } else if (req.request_union === 'progress_request') {
          // etcd answers with watch_id -1 once every watcher of the stream is synced.
          if (ctx.hub.allSynced([...watchers.values()].map((e) => e.w))) send({ header: ctx.header(), watch_id: '-1' });
        }
      });
      call.on('end', () => {
        closeAll();
        call.end();
      });
      call.on('error', closeAll);
      call.on('cancelled', closeAll);
      call.on('close', closeAll);
    },
  };
}
