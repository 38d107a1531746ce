// etcd's v3 API definitions, loaded at startup from the .proto files the
// etcd3 npm package ships (never copied here). One loading serves both the
// gRPC services and the codecs of the etcd request messages that travel
// inside Raft entries (raft/command.ts). Object shape: snake_case fields,
// 64-bit integers as decimal strings, bytes as Buffer, enums as numbers.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadSync, type MethodDefinition, type PackageDefinition, type ServiceDefinition } from '@grpc/proto-loader';

export const PROTO_OPTIONS = { keepCase: true, longs: String, enums: Number, defaults: true, oneofs: true } as const;

export const SERVICE_NAMES = ['KV', 'Watch', 'Lease', 'Cluster', 'Maintenance'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

let loaded: PackageDefinition | undefined;

/** The directory of etcd's .proto files inside the etcd3 dependency. */
export function etcdProtoDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('etcd3/package.json')), 'proto');
}

export function etcdPackage(): PackageDefinition {
  loaded ??= loadSync(join(etcdProtoDir(), 'rpc.proto'), PROTO_OPTIONS);
  return loaded;
}

export function etcdService(name: ServiceName): ServiceDefinition {
  const def = etcdPackage()[`etcdserverpb.${name}`];
  if (def === undefined || 'format' in def) throw new Error(`etcdserverpb.${name} is missing from etcd3's protos`);
  return def;
}

/** A message codec taken from a method's request side (requests are what Raft entries carry). */
export interface MessageCodec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export function requestCodec<T>(service: ServiceName, method: string): MessageCodec<T> {
  const m = etcdService(service)[method] as MethodDefinition<T, unknown> | undefined;
  if (m === undefined) throw new Error(`etcdserverpb.${service}/${method} is missing from etcd3's protos`);
  return {
    encode: (value) => m.requestSerialize(value),
    decode: (bytes) => m.requestDeserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
  };
}
