// The server's closed error set: the errors etcd's v3 API reports, each with
// the gRPC status code and message etcd uses (clients match on both), plus
// ConfigError for bad configuration. Storage-layer errors (IoError,
// Corruption, ...) keep their own classes and map to INTERNAL / DATA_LOSS at
// the gRPC edge (api/status.ts).

import { status as GrpcStatus } from '@grpc/grpc-js';

const CATALOGUE = {
  EmptyKey: [GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key is not provided'],
  KeyNotFound: [GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key not found'],
  ValueProvided: [GrpcStatus.INVALID_ARGUMENT, 'etcdserver: value is provided'],
  LeaseProvided: [GrpcStatus.INVALID_ARGUMENT, 'etcdserver: lease is provided'],
  TooManyOps: [GrpcStatus.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'],
  DuplicateKey: [GrpcStatus.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'],
  InvalidSortOption: [GrpcStatus.INVALID_ARGUMENT, 'etcdserver: invalid sort option'],
  Compacted: [GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'],
  FutureRev: [GrpcStatus.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'],
  NoSpace: [GrpcStatus.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'],
  LeaseNotFound: [GrpcStatus.NOT_FOUND, 'etcdserver: requested lease not found'],
  LeaseExist: [GrpcStatus.FAILED_PRECONDITION, 'etcdserver: lease already exists'],
  LeaseTTLTooLarge: [GrpcStatus.OUT_OF_RANGE, 'etcdserver: too large lease TTL'],
  MemberExist: [GrpcStatus.FAILED_PRECONDITION, 'etcdserver: member ID already exist'],
  PeerURLExist: [GrpcStatus.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'],
  MemberNotEnoughStarted: [GrpcStatus.FAILED_PRECONDITION, 'etcdserver: re-configuration failed due to not enough started members'],
  MemberBadURLs: [GrpcStatus.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'],
  MemberNotFound: [GrpcStatus.NOT_FOUND, 'etcdserver: member not found'],
  MemberNotLearner: [GrpcStatus.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'],
  LearnerNotReady: [GrpcStatus.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member which is in sync with leader'],
  TooManyLearners: [GrpcStatus.FAILED_PRECONDITION, 'etcdserver: too many learner members in cluster'],
  RequestTooLarge: [GrpcStatus.INVALID_ARGUMENT, 'etcdserver: request is too large'],
  TooManyRequests: [GrpcStatus.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'],
  NoLeader: [GrpcStatus.UNAVAILABLE, 'etcdserver: no leader'],
  NotLeader: [GrpcStatus.FAILED_PRECONDITION, 'etcdserver: not leader'],
  LeaderChanged: [GrpcStatus.UNAVAILABLE, 'etcdserver: leader changed'],
  NotCapable: [GrpcStatus.UNAVAILABLE, 'etcdserver: not capable'],
  Stopped: [GrpcStatus.UNAVAILABLE, 'etcdserver: server stopped'],
  Timeout: [GrpcStatus.UNAVAILABLE, 'etcdserver: request timed out'],
  TimeoutDueToLeaderFail: [GrpcStatus.UNAVAILABLE, 'etcdserver: request timed out, possibly due to previous leader failure'],
  Unhealthy: [GrpcStatus.UNAVAILABLE, 'etcdserver: unhealthy cluster'],
  Corrupt: [GrpcStatus.DATA_LOSS, 'etcdserver: corrupt cluster'],
  NotSupportedForLearner: [GrpcStatus.UNAVAILABLE, 'etcdserver: rpc not supported for learner'],
  BadLeaderTransferee: [GrpcStatus.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'],
  Unimplemented: [GrpcStatus.UNIMPLEMENTED, 'etcdserver: not implemented by strata'],
} as const satisfies Record<string, readonly [GrpcStatus, string]>;

export type EtcdErrorName = keyof typeof CATALOGUE;

/** An error etcd's API defines; `grpcCode` and `message` are exactly etcd's. */
export class EtcdError extends Error {
  readonly code = 'EtcdError' as const;
  readonly etcd: EtcdErrorName;
  readonly grpcCode: GrpcStatus;

  constructor(name: EtcdErrorName, detail?: string) {
    const [grpcCode, message] = CATALOGUE[name];
    super(message);
    this.name = 'EtcdError';
    this.etcd = name;
    this.grpcCode = grpcCode;
    if (detail !== undefined) this.cause = detail;
  }
}

/** A bad flag, environment variable or config file value; the CLI prints it and exits 2. */
export class ConfigError extends Error {
  readonly code = 'ConfigError' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The EtcdError whose message etcd would send as `message` (errors relayed from another member), if any. */
export function etcdErrorFromMessage(message: string): EtcdError | undefined {
  for (const [name, [, m]] of Object.entries(CATALOGUE)) if (m === message) return new EtcdError(name as EtcdErrorName);
  return undefined;
}

export function isEtcdError(err: unknown, name?: EtcdErrorName): err is EtcdError {
  return err instanceof EtcdError && (name === undefined || err.etcd === name);
}
