// /metrics (Prometheus text format) and /health (etcd's JSON answer: healthy
// while this member knows a leader and its Raft loop runs) on the metrics
// URL. Anything else is 404.

import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HttpEndpoints {
  readonly registry: Registry;
  health(): { healthy: boolean; reason: string };
}

export async function startHttpServer(host: string, port: number, ep: HttpEndpoints): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/metrics') {
      ep.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': ep.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
      return;
    }
    if (path === '/health' || path === '/readyz' || path === '/livez') {
      const h = ep.health();
      res.writeHead(h.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ health: String(h.healthy), reason: h.reason }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
