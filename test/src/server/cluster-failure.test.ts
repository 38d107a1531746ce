// A 3-member cluster of real processes loses its leader to SIGKILL under
// write load: a new leader is elected and every acknowledged write stays
// readable. The killed member restarts and catches up from the log; a
// member that misses more writes than the leader's log keeps catches up
// through a snapshot of the state machine.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { makeTempDir } from '@strata/vfs/testing';
import { etcdctl, hasEtcdctl, ProcessCluster } from '@strata/server/testing';

const skip = hasEtcdctl() ? false : 'etcdctl is not installed (bash .ci/run installs Debian etcd-client)';

interface EndpointStatus {
  readonly Endpoint: string;
  readonly Status: { readonly header: { readonly member_id: number }; readonly leader: number; readonly raftAppliedIndex: number; readonly raftIndex: number };
}

async function statuses(endpoints: string): Promise<EndpointStatus[]> {
  const r = await etcdctl(endpoints, ['endpoint', 'status', '-w', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as EndpointStatus[];
}

async function leaderIndex(c: ProcessCluster): Promise<number> {
  const st = await statuses(c.endpoints());
  const leader = st[0]?.Status.leader;
  const i = st.findIndex((s) => s.Status.header.member_id === leader);
  const ep = st[i]?.Endpoint;
  return c.members.findIndex((_, j) => c.endpoint(j) === ep);
}

/** Puts `load/<n>` from `workers` loops until stopped; returns the keys acknowledged. */
function writeLoad(client: Etcd3, workers: number): { stop: () => Promise<Set<string>> } {
  let running = true;
  let n = 0;
  const acked = new Set<string>();
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const k = `load/${String(n++).padStart(6, '0')}`;
      try {
        await client.put(k).value(k);
        acked.add(k);
      } catch {
        // Not acknowledged: may or may not have applied.
      }
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return acked;
    },
  };
}

async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a 3-member cluster under failure', { skip }, () => {
  let c: ProcessCluster;
  before(async () => {
    c = await ProcessCluster.start(3, makeTempDir('strata-failure-').path, ['--snapshot-count=300', '--snapshot-catchup-entries=50']);
  });
  after(async () => {
    await c?.stop();
  });

  test('killing the leader under load loses no acknowledged write, and it catches up on restart', async () => {
    const client = new Etcd3({ hosts: c.members.map((_, i) => `http://${c.endpoint(i)}`), defaultCallOptions: () => ({ deadline: Date.now() + 3000 }) });
    try {
      const load = writeLoad(client, 8);
      await new Promise((r) => setTimeout(r, 1000));
      const old = await leaderIndex(c);
      await c.kill(old);
      await c.waitHealthy();
      await waitFor('a new leader', async () => (await leaderIndex(c)) >= 0);
      await new Promise((r) => setTimeout(r, 1000));
      const acked = await load.stop();
      assert.ok(acked.size > 50, `only ${acked.size} writes were acknowledged`);
      const r = await etcdctl(c.endpoints(), ['get', '--prefix', 'load/', '--keys-only']);
      const held = new Set(r.stdout.split('\n').filter((l) => l !== ''));
      const lost = [...acked].filter((k) => !held.has(k));
      assert.deepEqual(lost, [], `${lost.length} acknowledged writes are missing`);

      c.restart(old);
      await c.waitHealthy();
      const leaderApplied = async (): Promise<number> => Math.max(...(await statuses(c.endpoints())).map((s) => s.Status.raftIndex));
      const target = await leaderApplied();
      await waitFor('the restarted member to catch up', async () => ((await statuses(c.endpoint(old)))[0]?.Status.raftAppliedIndex ?? 0) >= target);
      const local = await etcdctl(c.endpoint(old), ['get', '--prefix', 'load/', '--keys-only', '--consistency=s']);
      const there = new Set(local.stdout.split('\n').filter((l) => l !== ''));
      assert.deepEqual([...acked].filter((k) => !there.has(k)), []);
    } finally {
      client.close();
    }
  });

  test('a member that missed more than the log keeps catches up through a snapshot', async () => {
    const lead = await leaderIndex(c);
    const follower = [0, 1, 2].find((i) => i !== lead) ?? 0;
    await c.kill(follower);
    const client = new Etcd3({ hosts: [lead].map((i) => `http://${c.endpoint(i)}`) });
    try {
      for (let i = 0; i < 800; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => client.put(`snap/${i + j}`).value('x'.repeat(100))));
    } finally {
      client.close();
    }
    c.restart(follower);
    await c.waitHealthy();
    await waitFor('the snapshot to be installed', async () => {
      const r = await etcdctl(c.endpoint(follower), ['get', '--prefix', 'snap/', '--limit=1', '--consistency=s', '-w', 'json']).catch(() => undefined);
      return r !== undefined && r.code === 0 && (JSON.parse(r.stdout) as { count?: number }).count === 800;
    });
    const metrics = await (await fetch(`http://127.0.0.1:${c.members[follower]?.metricsPort ?? 0}/metrics`)).text();
    assert.match(metrics, /strata_raft_snapshots_installed_total [1-9]/);
  });
});
