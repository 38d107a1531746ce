// Calls the leader's own client API for the few requests only a leader can
// answer (etcd forwards them over its peer HTTP API): promoting a learner
// needs the leader's view of its log. One gRPC client per leader address,
// replaced when the leader moves; an etcd error from the leader comes back
// as the same EtcdError.

import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import { EtcdError, etcdErrorFromMessage } from '../errors.js';
import { etcdService, type ServiceName } from './proto.js';

type UnaryMethod = (req: unknown, options: { deadline: number }, cb: (err: ServiceError | null, res?: unknown) => void) => void;

export class LeaderClient {
  #clients = new Map<string, Client>();

  async call<T>(address: string, service: ServiceName, method: string, req: unknown, timeoutMs: number): Promise<T> {
    const key = `${service}@${address}`;
    let client = this.#clients.get(key);
    if (client === undefined) {
      const Ctor = makeGenericClientConstructor(etcdService(service), service);
      client = new Ctor(address, credentials.createInsecure());
      this.#clients.set(key, client);
    }
    const fn = (client as unknown as Record<string, UnaryMethod | undefined>)[method];
    if (fn === undefined) throw new EtcdError('Unimplemented', `${service}/${method}`);
    return new Promise<T>((resolve, reject) => {
      fn.call(client, req, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(etcdErrorFromMessage(err.details) ?? new EtcdError('Unhealthy', err.message));
        else resolve(res as T);
      });
    });
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}
