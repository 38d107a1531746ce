// The bundled server against Debian's etcdctl 3.4, unchanged: a single
// member and a 3-member cluster on loopback. Every command's output is
// checked as etcdctl prints it for a real etcd.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeTempDir } from '@strata/vfs/testing';
import { etcdctl, hasEtcdctl, TestCluster } from '@strata/server/testing';

const skip = hasEtcdctl() ? false : 'etcdctl is not installed (bash .ci/run installs Debian etcd-client)';

async function ok(endpoints: string, args: string[], input?: string): Promise<string> {
  const r = await etcdctl(endpoints, args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `etcdctl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

for (const n of [1, 3]) {
  describe(`etcdctl against ${n} member${n > 1 ? 's' : ''}`, { skip }, () => {
    let cluster: TestCluster;
    let ep = '';
    before(async () => {
      cluster = await TestCluster.start(n, makeTempDir(`etcdctl-${n}-`).path);
      ep = cluster.endpoints();
    });
    after(async () => {
      await cluster?.stop();
    });

    test('put and get, with prefix, limit and a past revision', async () => {
      assert.equal(await ok(ep, ['put', 'foo', 'bar']), 'OK\n');
      assert.equal(await ok(ep, ['put', 'foo', 'baz']), 'OK\n');
      assert.equal(await ok(ep, ['get', 'foo']), 'foo\nbaz\n');
      for (const k of ['p/a', 'p/b', 'p/c']) await ok(ep, ['put', k, `v-${k}`]);
      assert.equal(await ok(ep, ['get', '--prefix', 'p/']), 'p/a\nv-p/a\np/b\nv-p/b\np/c\nv-p/c\n');
      assert.equal(await ok(ep, ['get', '--prefix', '--limit=2', '--keys-only', 'p/']), 'p/a\n\np/b\n\n');
      const json = JSON.parse(await ok(ep, ['get', 'foo', '-w', 'json'])) as { kvs: { mod_revision: number; create_revision: number; version: number }[] };
      const kv = json.kvs[0];
      assert.ok(kv !== undefined);
      assert.equal(kv.version, 2);
      assert.equal(await ok(ep, ['get', 'foo', `--rev=${kv.create_revision}`]), 'foo\nbar\n');
      assert.equal(await ok(ep, ['get', '--prefix', 'p/', '--limit=1', '-w', 'json']).then((s) => (JSON.parse(s) as { count: number; more: boolean }).count), 3);
    });

    test('del, with prev-kv and prefix', async () => {
      await ok(ep, ['put', 'd/1', 'x']);
      await ok(ep, ['put', 'd/2', 'y']);
      assert.equal(await ok(ep, ['del', '--prev-kv', 'd/1']), '1\nd/1\nx\n');
      assert.equal(await ok(ep, ['del', '--prefix', 'd/']), '1\n');
      assert.equal(await ok(ep, ['get', '--prefix', 'd/']), '');
      assert.equal(await ok(ep, ['del', 'never-there']), '0\n');
    });

    test('txn: compare, success and failure branches', async () => {
      await ok(ep, ['put', 't/k', '1']);
      const txn = (cmp: string) => `${cmp}\n\nput t/ok yes\n\nput t/no yes\n\n`;
      assert.equal(await ok(ep, ['txn'], txn('value("t/k") = "1"')), 'SUCCESS\n\nOK\n');
      assert.equal(await ok(ep, ['txn'], txn('value("t/k") = "2"')), 'FAILURE\n\nOK\n');
      assert.equal(await ok(ep, ['get', 't/ok', '--print-value-only']), 'yes\n');
      assert.equal(await ok(ep, ['get', 't/no', '--print-value-only']), 'yes\n');
    });

    test('watch sees a past revision and new events', async () => {
      await ok(ep, ['put', 'w/a', '1']);
      const rev = (JSON.parse(await ok(ep, ['get', 'w/a', '-w', 'json'])) as { kvs: { mod_revision: number }[] }).kvs[0]?.mod_revision;
      assert.ok(rev !== undefined);
      await ok(ep, ['put', 'w/a', '2']);
      await ok(ep, ['del', 'w/a']);
      // `watch --rev` replays history; a bounded run ends on its own.
      const r = await etcdctl(ep, ['watch', '--prefix', 'w/', `--rev=${rev}`], { timeoutMs: 3000 });
      assert.match(r.stdout, /^PUT\nw\/a\n1\nPUT\nw\/a\n2\nDELETE\nw\/a\n\n?$/);
    });

    test('lease: grant, attach, keep-alive once, revoke removes the key', async () => {
      const grant = await ok(ep, ['lease', 'grant', '60']);
      const id = /lease ([0-9a-f]+) granted with TTL\(60s\)/.exec(grant)?.[1];
      assert.ok(id !== undefined, grant);
      await ok(ep, ['put', '--lease', id, 'l/key', 'v']);
      assert.match(await ok(ep, ['lease', 'keep-alive', '--once', id]), new RegExp(`lease ${id} keepalived with TTL\\(\\d+\\)`));
      assert.match(await ok(ep, ['lease', 'timetolive', '--keys', id]), new RegExp(`lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[l/key\\]\\)`));
      assert.match(await ok(ep, ['lease', 'list']), new RegExp(id));
      assert.equal(await ok(ep, ['lease', 'revoke', id]), `lease ${id} revoked\n`);
      assert.equal(await ok(ep, ['get', 'l/key']), '');
    });

    test('a lease that expires takes its keys with it', async () => {
      const id = /lease ([0-9a-f]+) granted/.exec(await ok(ep, ['lease', 'grant', '1']))?.[1];
      assert.ok(id !== undefined);
      await ok(ep, ['put', '--lease', id, 'l/short', 'v']);
      const deadline = Date.now() + 8000;
      while ((await ok(ep, ['get', 'l/short'])) !== '') {
        assert.ok(Date.now() < deadline, 'the key outlived its lease');
        await new Promise((r) => setTimeout(r, 200));
      }
    });

    test('member list, endpoint status and endpoint health', async () => {
      const list = await ok(ep, ['member', 'list']);
      assert.equal(list.trim().split('\n').length, n);
      for (const s of cluster.specs) assert.match(list, new RegExp(`, started, ${s.name}, http://127.0.0.1:${s.peerPort}, 127.0.0.1:${s.clientPort}, false`));
      const status = JSON.parse(await ok(ep, ['endpoint', 'status', '-w', 'json'])) as { Status: { leader: number; raft_term: number } }[];
      assert.equal(status.length, n);
      assert.equal(new Set(status.map((s) => s.Status.leader)).size, 1);
      // etcdctl 3.4 prints health to stderr.
      const health = await etcdctl(ep, ['endpoint', 'health']);
      assert.equal(health.code, 0, health.stderr);
      assert.equal(`${health.stdout}${health.stderr}`.split('\n').filter((l) => l.includes('is healthy: successfully committed proposal')).length, n);
    });

    test('etcdctl check perf --load=s passes (60 s of 50 clients at 150 writes/s)', async () => {
      const r = await etcdctl(ep, ['check', 'perf', '--load=s'], { timeoutMs: 180_000 });
      const verdict = r.stdout.split(/[\r\n]/).filter((l) => /^(PASS|FAIL)/.test(l));
      assert.equal(r.code, 0, verdict.join('\n') + r.stderr);
      assert.deepEqual(verdict.filter((l) => l.startsWith('FAIL')), []);
      assert.ok(verdict.includes('PASS'), verdict.join('\n'));
    });

    test('compaction: old revisions are gone, with etcd\'s error', async () => {
      await ok(ep, ['put', 'c/k', '1']);
      const rev = (JSON.parse(await ok(ep, ['get', 'c/k', '-w', 'json'])) as { header: { revision: number } }).header.revision;
      await ok(ep, ['put', 'c/k', '2']);
      assert.equal(await ok(ep, ['compaction', String(rev)]), `compacted revision ${rev}\n`);
      const r = await etcdctl(ep, ['get', 'c/k', `--rev=${rev - 1}`]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /required revision has been compacted/);
      const future = await etcdctl(ep, ['get', 'c/k', `--rev=${rev + 1000}`]);
      assert.match(future.stderr, /required revision is a future revision/);
    });
  });
}
