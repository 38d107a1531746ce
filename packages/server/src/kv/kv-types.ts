// etcd's KV messages as @grpc/proto-loader hands them over and takes them
// back (api/proto.ts options): snake_case fields, 64-bit integers as decimal
// strings, bytes as Buffer (Uint8Array accepted on the way out), enums as
// numbers, oneofs with a field naming the member set. Responses here omit
// `header`, which the gRPC layer fills in.

export interface KeyValue {
  readonly key: Uint8Array;
  readonly create_revision: string;
  readonly mod_revision: string;
  readonly version: string;
  readonly value: Uint8Array;
  readonly lease: string;
}

export const EVENT_PUT = 0;
export const EVENT_DELETE = 1;

export interface Event {
  readonly type: typeof EVENT_PUT | typeof EVENT_DELETE;
  readonly kv: KeyValue;
  readonly prev_kv: KeyValue | null;
}

export const SORT_NONE = 0;
export const SORT_ASCEND = 1;
export const SORT_DESCEND = 2;
export const TARGET_KEY = 0;
export const TARGET_VERSION = 1;
export const TARGET_CREATE = 2;
export const TARGET_MOD = 3;
export const TARGET_VALUE = 4;

export interface RangeRequest {
  readonly key: Uint8Array;
  readonly range_end: Uint8Array;
  readonly limit: string;
  readonly revision: string;
  readonly sort_order: number;
  readonly sort_target: number;
  readonly serializable: boolean;
  readonly keys_only: boolean;
  readonly count_only: boolean;
  readonly min_mod_revision: string;
  readonly max_mod_revision: string;
  readonly min_create_revision: string;
  readonly max_create_revision: string;
}

export interface RangeResponse {
  readonly kvs: KeyValue[];
  readonly more: boolean;
  readonly count: string;
}

export interface PutRequest {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly lease: string;
  readonly prev_kv: boolean;
  readonly ignore_value: boolean;
  readonly ignore_lease: boolean;
}

export interface PutResponse {
  readonly prev_kv: KeyValue | null;
}

export interface DeleteRangeRequest {
  readonly key: Uint8Array;
  readonly range_end: Uint8Array;
  readonly prev_kv: boolean;
}

export interface DeleteRangeResponse {
  readonly deleted: string;
  readonly prev_kvs: KeyValue[];
}

export interface RequestOp {
  readonly request?: 'request_range' | 'request_put' | 'request_delete_range' | 'request_txn';
  readonly request_range?: RangeRequest | null;
  readonly request_put?: PutRequest | null;
  readonly request_delete_range?: DeleteRangeRequest | null;
  readonly request_txn?: TxnRequest | null;
}

export type ResponseOp =
  | { readonly response: 'response_range'; readonly response_range: RangeResponse }
  | { readonly response: 'response_put'; readonly response_put: PutResponse }
  | { readonly response: 'response_delete_range'; readonly response_delete_range: DeleteRangeResponse }
  | { readonly response: 'response_txn'; readonly response_txn: TxnResponse };

export const COMPARE_EQUAL = 0;
export const COMPARE_GREATER = 1;
export const COMPARE_LESS = 2;
export const COMPARE_NOT_EQUAL = 3;
export const CMP_VERSION = 0;
export const CMP_CREATE = 1;
export const CMP_MOD = 2;
export const CMP_VALUE = 3;
export const CMP_LEASE = 4;

export interface Compare {
  readonly result: number;
  readonly target: number;
  readonly key: Uint8Array;
  readonly range_end: Uint8Array;
  readonly target_union?: 'version' | 'create_revision' | 'mod_revision' | 'value' | 'lease';
  readonly version?: string;
  readonly create_revision?: string;
  readonly mod_revision?: string;
  readonly value?: Uint8Array;
  readonly lease?: string;
}

export interface TxnRequest {
  readonly compare: readonly Compare[];
  readonly success: readonly RequestOp[];
  readonly failure: readonly RequestOp[];
}

export interface TxnResponse {
  readonly succeeded: boolean;
  readonly responses: ResponseOp[];
}

export interface CompactionRequest {
  readonly revision: string;
  readonly physical: boolean;
}
