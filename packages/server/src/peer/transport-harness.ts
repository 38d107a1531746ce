// Test support for the transport tests: start a transport on 127.0.0.1 that
// records what it receives and reports, wait for a condition with a deadline,
// and stop everything a test started. Not used by the transport itself.

import type { Message, NodeId } from '@strata/raft';
import type { PeerLogger, PeerTransportOptions, SnapshotStatus } from './options.js';
import { PeerTransport } from './transport.js';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly obj: object;
}

export interface TestNode {
  readonly id: NodeId;
  readonly t: PeerTransport;
  readonly addr: string;
  readonly received: Message[];
  readonly unreachable: NodeId[];
  readonly snapshots: [NodeId, SnapshotStatus][];
  readonly logs: LogLine[];
}

export function recordingLogger(lines: LogLine[]): PeerLogger {
  const at =
    (level: LogLine['level']) =>
    (obj: object, msg: string): void => {
      lines.push({ level, msg, obj });
      if (process.env['STRATA_PEER_LOG'] === '1') console.log(level, msg, obj);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export class Harness {
  readonly #nodes = new Set<TestNode>();

  async start(id: NodeId, o: Partial<Omit<PeerTransportOptions, 'selfId' | 'onMessage' | 'onUnreachable' | 'onSnapshotStatus'>> = {}): Promise<TestNode> {
    const received: Message[] = [];
    const unreachable: NodeId[] = [];
    const snapshots: [NodeId, SnapshotStatus][] = [];
    const logs: LogLine[] = [];
    const t = await PeerTransport.start({
      clusterId: 0x1234_5678_9abc_def0n,
      listen: '127.0.0.1:0',
      reconnectMinMs: 20,
      reconnectMaxMs: 200,
      logger: recordingLogger(logs),
      ...o,
      selfId: id,
      onMessage: (m) => received.push(m),
      onUnreachable: (peer) => unreachable.push(peer),
      onSnapshotStatus: (peer, s) => snapshots.push([peer, s]),
    });
    const node: TestNode = { id, t, addr: `127.0.0.1:${t.port}`, received, unreachable, snapshots, logs };
    this.#nodes.add(node);
    return node;
  }

  async stop(node: TestNode): Promise<void> {
    this.#nodes.delete(node);
    await node.t.stop();
  }

  async stopAll(): Promise<void> {
    const all = [...this.#nodes];
    this.#nodes.clear();
    await Promise.all(all.map((n) => n.t.stop()));
  }
}

/** Makes every node a peer of every other. */
export function connectAll(nodes: readonly TestNode[]): void {
  for (const a of nodes) for (const b of nodes) if (a !== b) a.t.setPeer(b.id, b.addr);
}

/** Resolves once `cond()` holds; rejects after `timeoutMs`, naming `what`. Runs `tick` between checks. */
export async function waitFor(what: string, cond: () => boolean, o: { readonly timeoutMs?: number; readonly tick?: () => void } = {}): Promise<void> {
  const deadline = Date.now() + (o.timeoutMs ?? 5000);
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    o.tick?.();
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Messages without their MsgSnaps, and the MsgSnaps alone (they travel on separate calls, so order between the two is free). */
export function splitSnaps(ms: readonly Message[]): { readonly plain: Message[]; readonly snaps: Message[] } {
  return { plain: ms.filter((m) => m.type !== 'MsgSnap'), snaps: ms.filter((m) => m.type === 'MsgSnap') };
}
