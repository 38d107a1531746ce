// @strata/server: the bundled server, a Raft-replicated member that speaks
// etcd's v3 gRPC API over Strata's own storage.

export { StrataServer, type StartOptions } from './server.js';
export { defaultConfig, type ServerConfig, type ClusterMember } from './config/options.js';
export { loadConfig, parseFlags } from './config/load.js';
export { localMembers, memberFlags, type LocalMember } from './cli/cluster.js';
export { createLogger, type Logger } from './log.js';
export { ConfigError, EtcdError, isEtcdError, type EtcdErrorName } from './errors.js';
