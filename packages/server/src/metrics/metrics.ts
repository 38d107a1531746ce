// The server's Prometheus metrics (prom-client), on a registry of its own so
// several servers can share a process (tests). Counters and histograms are
// bumped by the parts that own the events; engine and Raft-log figures are
// read from their stats() when /metrics is scraped. Names are documented in
// docs/server.md and used by docs/grafana-dashboard.json.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LsmStats } from '@strata/lsm';
import type { RaftLogStats } from '@strata/raftlog';

export interface MetricSources {
  engineStats(): LsmStats;
  raftLogStats(): RaftLogStats;
  raftStatus(): { term: number; leader: number; commit: number; applied: number; isLeader: boolean };
}

export class ServerMetrics {
  readonly registry = new Registry();
  readonly leaderChanges: Counter;
  readonly proposalsCommitted: Counter;
  readonly proposalsFailed: Counter;
  readonly persistSeconds: Histogram;
  readonly snapshotsInstalled: Counter;
  readonly snapshotsSent: Counter;
  readonly grpcRequests: Counter<'method' | 'code'>;
  readonly grpcSeconds: Histogram<'method'>;
  readonly watchers: Gauge;

  constructor(src: MetricSources, defaults = true) {
    const r = this.registry;
    if (defaults) collectDefaultMetrics({ register: r, prefix: 'strata_process_' });
    const gauge = (name: string, help: string, read: () => number): Gauge =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(read());
        },
      });
    gauge('strata_raft_term', 'Current Raft term.', () => src.raftStatus().term);
    gauge('strata_raft_is_leader', '1 if this member is the leader.', () => (src.raftStatus().isLeader ? 1 : 0));
    gauge('strata_raft_has_leader', '1 if a leader is known.', () => (src.raftStatus().leader !== 0 ? 1 : 0));
    gauge('strata_raft_committed_index', 'Raft commit index.', () => src.raftStatus().commit);
    gauge('strata_raft_applied_index', 'Index applied to the state machine.', () => src.raftStatus().applied);
    gauge('strata_raft_apply_lag', 'Committed entries not yet applied.', () => {
      const s = src.raftStatus();
      return Math.max(0, s.commit - s.applied);
    });
    this.leaderChanges = new Counter({ name: 'strata_raft_leader_changes_total', help: 'Leader changes seen.', registers: [r] });
    this.proposalsCommitted = new Counter({ name: 'strata_raft_proposals_committed_total', help: 'Proposals of this member applied.', registers: [r] });
    this.proposalsFailed = new Counter({ name: 'strata_raft_proposals_failed_total', help: 'Proposals refused or timed out.', registers: [r] });
    this.snapshotsInstalled = new Counter({ name: 'strata_raft_snapshots_installed_total', help: 'Leader snapshots installed by this member.', registers: [r] });
    this.snapshotsSent = new Counter({ name: 'strata_raft_snapshots_sent_total', help: 'State machine snapshots this member sent to followers.', registers: [r] });
    this.persistSeconds = new Histogram({
      name: 'strata_raftlog_persist_seconds',
      help: 'Time to persist one Ready to the Raft log, fdatasync included.',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [r],
    });
    gauge('strata_raftlog_bytes_written', 'Bytes appended to Raft log segments since start.', () => src.raftLogStats().bytesWritten);
    gauge('strata_raftlog_fsyncs', 'Raft log fdatasyncs since start.', () => src.raftLogStats().fsyncs);
    gauge('strata_raftlog_entries', 'Raft log entries held.', () => src.raftLogStats().entries);
    gauge('strata_engine_write_amplification', 'LSM (flush + compaction bytes) / user bytes.', () => src.engineStats().writeAmplification);
    gauge('strata_engine_compaction_bytes_written', 'LSM compaction bytes written since start.', () => src.engineStats().writes.compactionBytesWritten);
    gauge('strata_engine_compaction_bytes_read', 'LSM compaction bytes read since start.', () => src.engineStats().writes.compactionBytesRead);
    gauge('strata_engine_write_stalls', 'LSM writes slowed or stopped by compaction debt.', () => {
      const w = src.engineStats().writes;
      return w.slowdowns + w.stops;
    });
    gauge('strata_engine_stall_seconds', 'Time LSM writes spent stalled.', () => src.engineStats().writes.stallMicros / 1e6);
    gauge('strata_engine_block_cache_hits', 'LSM block cache hits.', () => src.engineStats().blockCache.hits);
    gauge('strata_engine_block_cache_misses', 'LSM block cache misses.', () => src.engineStats().blockCache.misses);
    gauge('strata_engine_sorted_runs', 'LSM sorted runs (read amplification bound).', () => src.engineStats().sortedRuns);
    this.grpcRequests = new Counter({ name: 'strata_grpc_requests_total', help: 'Client gRPC calls by method and status code.', labelNames: ['method', 'code'], registers: [r] });
    this.grpcSeconds = new Histogram({
      name: 'strata_grpc_request_duration_seconds',
      help: 'Client gRPC call latency by method (unary calls).',
      labelNames: ['method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [r],
    });
    this.watchers = new Gauge({ name: 'strata_watchers', help: 'Active watches.', registers: [r] });
  }
}
