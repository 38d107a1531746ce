// Wraps an async handler as a gRPC unary call: maps errors through
// status.ts, counts the call by method and status code, and times it.

import { status as GrpcStatus, type handleUnaryCall, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { ServerContext } from './context.js';
import { isUnexpected, toServiceError } from './status.js';

export function unary<Req, Res>(ctx: ServerContext, method: string, fn: (req: Req) => Promise<Res>): handleUnaryCall<Req, Res> {
  const requests = ctx.metrics.grpcRequests;
  const seconds = ctx.metrics.grpcSeconds.labels(method);
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    const t0 = performance.now();
    // A handler that throws before its first await still answers with its error.
    new Promise<Res>((resolve) => resolve(fn(call.request))).then(
      (res) => {
        seconds.observe((performance.now() - t0) / 1000);
        requests.inc({ method, code: 'OK' });
        callback(null, res);
      },
      (err: unknown) => {
        seconds.observe((performance.now() - t0) / 1000);
        const e = toServiceError(err);
        requests.inc({ method, code: GrpcStatus[e.code] });
        if (isUnexpected(err)) ctx.logger.error({ err, method }, 'request failed');
        callback(e);
      },
    );
  };
}
