// Free loopback ports for test clusters: each is bound once by the OS and
// released, so another process could take it in between (rare on a test
// machine; the server then fails to start with a clear error).

import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('no port bound');
  return addr.port;
}
