// @strata/server/testing: an in-process test cluster, free ports, and etcdctl.

export { TestCluster, type TestMemberSpec } from './in-process-cluster.js';
export { freePort } from './ports.js';
export { etcdctl, hasEtcdctl, type EtcdctlResult } from './etcdctl.js';
export { ProcessCluster, type ProcessMember } from './process-cluster.js';
export { RawEtcdClient, type RawResult } from './raw-client.js';
