// Bad input against a running member: each request gets the error etcd
// gives (same gRPC code and message), garbage on the client and peer ports
// is refused, and the member keeps serving throughout.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { makeTempDir } from '@strata/vfs/testing';
import { RawEtcdClient, TestCluster, type RawResult } from '@strata/server/testing';

const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const OUT_OF_RANGE = 11;
const RESOURCE_EXHAUSTED = 8;

function fails(r: RawResult<unknown>, code: number, details: string | RegExp): void {
  assert.equal(r.ok, false, `expected an error, got ${JSON.stringify(r)}`);
  if (r.ok) return;
  assert.equal(r.code, code, r.details);
  if (typeof details === 'string') assert.equal(r.details, details);
  else assert.match(r.details, details);
}

const b = (s: string): Buffer => Buffer.from(s);

describe('bad input', () => {
  let cluster: TestCluster;
  let client: RawEtcdClient;
  before(async () => {
    cluster = await TestCluster.start(1, makeTempDir('strata-bad-input-').path);
    client = new RawEtcdClient(cluster.endpoints());
  });
  after(async () => {
    client?.close();
    await cluster?.stop();
  });

  const stillServes = async (): Promise<void> => {
    const r = await client.call('KV', 'Put', { key: b('alive'), value: b('yes') });
    assert.equal(r.ok, true, JSON.stringify(r));
  };

  test('oversized requests: over --max-request-bytes, and over the gRPC frame limit', async () => {
    fails(await client.call('KV', 'Put', { key: b('big'), value: Buffer.alloc(1.6 * 1024 * 1024) }), INVALID_ARGUMENT, 'etcdserver: request is too large');
    fails(await client.call('KV', 'Put', { key: b('huge'), value: Buffer.alloc(3 * 1024 * 1024) }), RESOURCE_EXHAUSTED, /larger than max/);
    await stillServes();
  });

  test('invalid ranges and revisions', async () => {
    fails(await client.call('KV', 'Range', { key: b('') }), INVALID_ARGUMENT, 'etcdserver: key is not provided');
    fails(await client.call('KV', 'Range', { key: b('a'), sort_order: 7 }), INVALID_ARGUMENT, 'etcdserver: invalid sort option');
    fails(await client.call('KV', 'Range', { key: b('a'), revision: '999999' }), OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');
    fails(await client.call('KV', 'DeleteRange', { key: b('') }), INVALID_ARGUMENT, 'etcdserver: key is not provided');
    fails(await client.call('KV', 'Put', { key: b('k'), value: b('v'), ignore_value: true }), INVALID_ARGUMENT, 'etcdserver: value is provided');
    fails(await client.call('KV', 'Put', { key: b('never-put'), ignore_value: true }), INVALID_ARGUMENT, 'etcdserver: key not found');
    fails(await client.call('KV', 'Compact', { revision: '999999' }), OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');
    // An inverted range is empty, as in etcd.
    const r = await client.call<{ count: string }>('KV', 'Range', { key: b('z'), range_end: b('a') });
    assert.equal(r.ok && r.value.count, '0');
    await stillServes();
  });

  test('unknown lease ids', async () => {
    fails(await client.call('KV', 'Put', { key: b('k'), value: b('v'), lease: '12345' }), NOT_FOUND, 'etcdserver: requested lease not found');
    fails(await client.call('Lease', 'LeaseRevoke', { ID: '12345' }), NOT_FOUND, 'etcdserver: requested lease not found');
    const ttl = await client.call<{ TTL: string }>('Lease', 'LeaseTimeToLive', { ID: '12345' });
    assert.equal(ttl.ok && ttl.value.TTL, '-1');
    fails(await client.call('Lease', 'LeaseGrant', { TTL: '9000000001' }), OUT_OF_RANGE, 'etcdserver: too large lease TTL');
    // A failed apply changes nothing: the key never appeared.
    const g = await client.call<{ count: string }>('KV', 'Range', { key: b('k') });
    assert.equal(g.ok && g.value.count, '0');
  });

  test('malformed transactions', async () => {
    const put = (k: string) => ({ request_put: { key: b(k), value: b('v') } });
    fails(await client.call('KV', 'Txn', { success: Array.from({ length: 129 }, (_, i) => put(`t${i}`)) }), INVALID_ARGUMENT, 'etcdserver: too many operations in txn request');
    fails(await client.call('KV', 'Txn', { success: [put('d'), put('d')] }), INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request');
    fails(await client.call('KV', 'Txn', { success: [{ request_delete_range: { key: b('a'), range_end: b('z') } }, put('m')] }), INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request');
    fails(await client.call('KV', 'Txn', { compare: [{ key: b('') }], success: [put('x')] }), INVALID_ARGUMENT, 'etcdserver: key is not provided');
    // Then and else may name the same key: only one runs.
    const ok = await client.call<{ succeeded: boolean }>('KV', 'Txn', { compare: [{ key: b('nope'), target: 0, result: 0, version: '0' }], success: [put('same')], failure: [put('same')] });
    assert.equal(ok.ok && ok.value.succeeded, true);
    await stillServes();
  });

  test('garbage bytes on the client and peer ports are refused, and the member keeps serving', async () => {
    const spec = cluster.specs[0];
    assert.ok(spec !== undefined);
    for (const port of [spec.clientPort, spec.peerPort]) {
      for (const junk of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0]), Buffer.alloc(4096, 0xab)]) {
        await new Promise<void>((resolve) => {
          const s = connect(port, '127.0.0.1', () => s.end(junk));
          s.on('error', () => resolve());
          s.on('close', () => resolve());
          s.resume();
          setTimeout(() => {
            s.destroy();
            resolve();
          }, 1000).unref();
        });
      }
    }
    await stillServes();
    assert.equal(cluster.members[0]?.raft.leader, cluster.members[0]?.memberId);
  });
});
