// The bundled server against the etcd3 npm client, unchanged: KV, watch,
// lease and STM transactions on a 3-member cluster, the client spread over
// every member (followers forward writes; reads are linearizable).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd3, type ISTMOptions } from 'etcd3';

/** etcd3's Isolation.RepeatableReads (an ambient const enum, which this build cannot import). */
const REPEATABLE_READS = 2 as ISTMOptions['isolation'];
import { makeTempDir } from '@strata/vfs/testing';
import { TestCluster } from '@strata/server/testing';

describe('etcd3 npm client against 3 members', () => {
  let cluster: TestCluster;
  let client: Etcd3;
  before(async () => {
    cluster = await TestCluster.start(3, makeTempDir('etcd3-client-').path);
    client = new Etcd3({ hosts: cluster.endpoints().split(',').map((h) => `http://${h}`) });
  });
  after(async () => {
    client?.close();
    await cluster?.stop();
  });

  test('put, get, getAll with prefix, delete', async () => {
    await client.put('a/1').value('one');
    await client.put('a/2').value('two');
    assert.equal(await client.get('a/1').string(), 'one');
    assert.deepEqual(await client.getAll().prefix('a/').strings(), { 'a/1': 'one', 'a/2': 'two' });
    assert.equal(await client.getAll().prefix('a/').count(), 2);
    await client.delete().key('a/1');
    assert.equal(await client.get('a/1').string(), null);
  });

  test('if/then/else transactions', async () => {
    await client.put('t').value('1');
    const r = await client.if('t', 'Value', '==', '1').then(client.put('t').value('2')).else(client.put('t').value('x')).commit();
    assert.equal(r.succeeded, true);
    const r2 = await client.if('t', 'Value', '==', '1').then(client.put('t').value('3')).else(client.put('t').value('else')).commit();
    assert.equal(r2.succeeded, false);
    assert.equal(await client.get('t').string(), 'else');
  });

  test('watch delivers puts and deletes in order', async () => {
    const w = await client.watch().prefix('w/').create();
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      w.on('put', (kv) => {
        seen.push(`put ${kv.key.toString()}=${kv.value.toString()}`);
      });
      w.on('delete', (kv) => {
        seen.push(`delete ${kv.key.toString()}`);
        resolve();
      });
    });
    await client.put('w/x').value('1');
    await client.put('w/x').value('2');
    await client.delete().key('w/x');
    await done;
    await w.cancel();
    assert.deepEqual(seen, ['put w/x=1', 'put w/x=2', 'delete w/x']);
  });

  test('a lease keeps its key alive until revoked', async () => {
    const lease = client.lease(5, { autoKeepAlive: true });
    await lease.put('l/k').value('v');
    assert.equal(await client.get('l/k').string(), 'v');
    const ka = await lease.keepaliveOnce();
    const ttl = Number(ka.TTL);
    assert.ok(ttl > 0 && ttl <= 5, `ttl ${ttl}`);
    await lease.revoke();
    assert.equal(await client.get('l/k').string(), null);
  });

  // Repeatable reads: the client's SerializableSnapshot mode also demands every written key be
  // older than the oldest key read, so two accounts written at different revisions always conflict
  // (the etcd3 client does this against etcd too).
  test('STM transactions keep a sum invariant under concurrency', async () => {
    await client.put('acct/a').value('100');
    await client.put('acct/b').value('100');
    const transfer = (from: string, to: string, n: number) =>
      client.stm({ retries: 50, isolation: REPEATABLE_READS }).transact(async (tx) => {
        const a = Number(await tx.get(from).string());
        const b = Number(await tx.get(to).string());
        await tx.put(from).value(String(a - n));
        await tx.put(to).value(String(b + n));
      });
    await Promise.all([transfer('acct/a', 'acct/b', 10), transfer('acct/b', 'acct/a', 3), transfer('acct/a', 'acct/b', 7), transfer('acct/b', 'acct/a', 1)]);
    const a = Number(await client.get('acct/a').string());
    const b = Number(await client.get('acct/b').string());
    assert.equal(a + b, 200);
    assert.equal(a, 100 - 10 + 3 - 7 + 1);
  });
});
