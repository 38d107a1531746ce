// A plain gRPC client of etcd's services for tests that send what no etcd
// client would (oversized, malformed or unknown-id requests) and look at
// the exact status code and message that come back.

import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import { etcdService, type ServiceName } from '../api/proto.js';

export type RawResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: number; readonly details: string };

type UnaryMethod = (req: unknown, options: { deadline: number }, cb: (err: ServiceError | null, res?: unknown) => void) => void;

export class RawEtcdClient {
  readonly #address: string;
  readonly #clients = new Map<ServiceName, Client>();

  constructor(address: string) {
    this.#address = address;
  }

  call<T = Record<string, unknown>>(service: ServiceName, method: string, req: unknown, timeoutMs = 10_000): Promise<RawResult<T>> {
    let client = this.#clients.get(service);
    if (client === undefined) {
      const Ctor = makeGenericClientConstructor(etcdService(service), service);
      client = new Ctor(this.#address, credentials.createInsecure(), { 'grpc.max_send_message_length': 64 << 20 });
      this.#clients.set(service, client);
    }
    const fn = (client as unknown as Record<string, UnaryMethod | undefined>)[method];
    if (fn === undefined) throw new Error(`no method ${service}/${method}`);
    return new Promise((resolve) => {
      fn.call(client, req, { deadline: Date.now() + timeoutMs }, (err, res) => {
        resolve(err ? { ok: false, code: err.code, details: err.details } : { ok: true, value: res as T });
      });
    });
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
  }
}
