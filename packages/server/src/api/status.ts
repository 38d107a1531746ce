// The one place errors become gRPC statuses. etcd's own errors carry etcd's
// code and message (clients match on the message); engine errors map to
// their nearest code; anything else is INTERNAL, logged by the caller.

import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { isEngineError } from '@strata/engine';
import { EtcdError } from '../errors.js';

export function toServiceError(err: unknown): ServiceError {
  let code: GrpcStatus = GrpcStatus.INTERNAL;
  let details = err instanceof Error ? err.message : String(err);
  if (err instanceof EtcdError) {
    code = err.grpcCode;
    details = err.message;
  } else if (isEngineError(err)) {
    if (err.code === 'InvalidArgument') code = GrpcStatus.INVALID_ARGUMENT;
    else if (err.code === 'Corruption') code = GrpcStatus.DATA_LOSS;
    else if (err.code === 'Closed') {
      code = GrpcStatus.UNAVAILABLE;
      details = 'etcdserver: server stopped';
    }
  }
  const e = new Error(details) as ServiceError;
  e.code = code;
  e.details = details;
  e.metadata = new Metadata();
  return e;
}

/** True for errors that mean a bug or broken storage, worth an error log. */
export function isUnexpected(err: unknown): boolean {
  return !(err instanceof EtcdError) && !(isEngineError(err) && err.code === 'InvalidArgument');
}
