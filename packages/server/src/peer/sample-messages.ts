// One message of every Raft message type, with every field set to something
// other than its zero value, for the codec and transport tests. Not used by the
// transport itself. Byte fields are plain Uint8Arrays, as decoding yields.

import type { Entry, Message, NodeId } from '@strata/raft';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

export function sampleEntries(first: number, n: number, term: number): Entry[] {
  return Array.from({ length: n }, (_, i) => ({ index: first + i, term, type: i % 7 === 3 ? 1 : 0, data: bytes(`entry ${first + i}`) }));
}

/** Every message type once, from `from` to `to`; `snapshotData` becomes the MsgSnap's data. */
export function sampleMessages(from: NodeId, to: NodeId, snapshotData: Uint8Array = bytes('snapshot data')): Message[] {
  const base = { from, to, term: 7 };
  return [
    { ...base, type: 'MsgApp', index: 41, logTerm: 6, commit: 40, entries: sampleEntries(42, 10, 7) },
    { ...base, type: 'MsgApp', index: 2 ** 40, logTerm: 2 ** 33, commit: Number.MAX_SAFE_INTEGER, entries: [] },
    { ...base, type: 'MsgAppResp', index: 51, reject: true, rejectHint: 45, logTerm: 5 },
    { ...base, type: 'MsgAppResp', index: 51, reject: false, rejectHint: 0, logTerm: 0 },
    { ...base, type: 'MsgVote', index: 99, logTerm: 7, transfer: true },
    { ...base, type: 'MsgPreVote', index: 99, logTerm: 7, transfer: false },
    { ...base, type: 'MsgVoteResp', reject: false },
    { ...base, type: 'MsgPreVoteResp', reject: true },
    { ...base, type: 'MsgHeartbeat', commit: 12, context: bytes('read ctx') },
    { ...base, type: 'MsgHeartbeatResp', context: new Uint8Array(0) },
    { ...base, type: 'MsgTimeoutNow' },
    { ...base, type: 'MsgProp', entries: sampleEntries(0, 3, 0) },
    { ...base, type: 'MsgReadIndex', context: bytes('ri') },
    { ...base, type: 'MsgReadIndexResp', index: 77, context: bytes('ri') },
    { ...base, type: 'MsgTransferLeader' },
    {
      ...base,
      type: 'MsgSnap',
      snapshot: {
        meta: { index: 1000, term: 6, confState: { voters: [1, 2, 3], learners: [4], votersOutgoing: [1, 2, 5], learnersNext: [5], autoLeave: true } },
        data: snapshotData,
      },
    },
  ];
}
