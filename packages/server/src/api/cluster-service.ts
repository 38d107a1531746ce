// etcd's Cluster service: MemberList, and MemberAdd / MemberRemove /
// MemberPromote as Raft conf changes (the reply waits for the change to
// apply here). Client URLs are advertised without a scheme, since Node's
// HTTP/2 server refuses an :authority that carries one and etcdctl dials
// the advertised URLs verbatim. MemberUpdate is not supported.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { EtcdError } from '../errors.js';
import type { Member } from '../membership/member.js';
import type { ServerContext } from './context.js';
import { unary } from './unary.js';

export interface ClusterOps {
  members(): readonly Member[];
  /** Adds a member with these peer URLs; resolves with it once the change applied. */
  addMember(peerUrls: readonly string[], isLearner: boolean): Promise<{ member: Member; members: readonly Member[] }>;
  removeMember(id: number): Promise<readonly Member[]>;
  promoteMember(id: number): Promise<readonly Member[]>;
}

export function memberPb(m: Member): object {
  return {
    ID: String(m.id),
    name: m.name,
    peerURLs: [...m.peerUrls],
    clientURLs: m.clientUrls.map((u) => u.replace(/^https?:\/\//, '')),
    isLearner: m.isLearner,
  };
}

function checkUrls(urls: readonly string[]): string[] {
  if (urls.length === 0) throw new EtcdError('MemberBadURLs');
  return urls.map((u) => {
    try {
      const p = new URL(u);
      if (p.protocol !== 'http:' || p.port === '') throw new EtcdError('MemberBadURLs');
      return `http://${p.host}`;
    } catch {
      throw new EtcdError('MemberBadURLs');
    }
  });
}

function memberId(raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id <= 0) throw new EtcdError('MemberNotFound');
  return id;
}

export function clusterService(ctx: ServerContext, ops: ClusterOps): UntypedServiceImplementation {
  return {
    MemberList: unary(ctx, 'MemberList', async (req: { linearizable?: boolean }) => {
      if (req.linearizable === true) await ctx.linearizableBarrier();
      return { header: ctx.header(), members: ops.members().map(memberPb) };
    }),
    MemberAdd: unary(ctx, 'MemberAdd', async (req: { peerURLs: string[]; isLearner: boolean }) => {
      const { member, members } = await ops.addMember(checkUrls(req.peerURLs), req.isLearner);
      return { header: ctx.header(), member: memberPb(member), members: members.map(memberPb) };
    }),
    MemberRemove: unary(ctx, 'MemberRemove', async (req: { ID: string }) => {
      const members = await ops.removeMember(memberId(req.ID));
      return { header: ctx.header(), members: members.map(memberPb) };
    }),
    MemberPromote: unary(ctx, 'MemberPromote', async (req: { ID: string }) => {
      const members = await ops.promoteMember(memberId(req.ID));
      return { header: ctx.header(), members: members.map(memberPb) };
    }),
    MemberUpdate: unary(ctx, 'MemberUpdate', () => Promise.reject(new EtcdError('Unimplemented', 'MemberUpdate'))),
  };
}
