// The commands of a scenario script, each parsing its arguments and acting
// on the InteractionEnv. A command prints what happened (or `ok` if
// nothing); a refusal the node reports (ProposalDropped, InvalidArgument)
// prints as `error ...`, while a bad script or a broken invariant throws.
// The list, with syntax, is COMMANDS below.

import { isEngineError } from '@strata/engine';
import type { ConfChangeSingle, ConfChangeTransition } from '../../confchange/conf-change.js';
import { isRaftError } from '../../errors.js';
import { CommandArgs, ScriptArgError } from './command-args.js';
import { DEFAULT_NODE_OPTIONS, type InteractionEnv, type NodeOptions } from './env.js';
import { indent } from './format.js';

type Handler = (env: InteractionEnv, a: CommandArgs) => string[];

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Runs an input a node may refuse (a proposal, a conf change, a read): the refusal prints; any other error throws. */
function attempt(f: () => void): string[] {
  try {
    f();
    return [];
  } catch (err) {
    if (isRaftError(err, 'ProposalDropped') || isEngineError(err, 'InvalidArgument')) return [`error ${err.name}: ${err.message}`];
    throw err;
  }
}

function nodeOptions(a: CommandArgs): NodeOptions {
  const d = DEFAULT_NODE_OPTIONS;
  const readOnly = a.option('read-only') ?? d.readOnlyOption;
  if (readOnly !== 'safe' && readOnly !== 'lease-based') throw new ScriptArgError(`read-only must be safe or lease-based, got ${readOnly}`);
  return {
    preVote: a.boolOption('prevote') ?? d.preVote,
    checkQuorum: a.boolOption('checkquorum') ?? d.checkQuorum,
    readOnlyOption: readOnly,
    electionTick: a.intOption('election-tick') ?? d.electionTick,
    heartbeatTick: a.intOption('heartbeat-tick') ?? d.heartbeatTick,
  };
}

const KINDS: Readonly<Record<string, ConfChangeSingle['kind']>> = { v: 'add-voter', l: 'add-learner', r: 'remove' };

function parseChange(tok: string): ConfChangeSingle {
  const kind = KINDS[tok.charAt(0)];
  const node = Number(tok.slice(1));
  if (kind === undefined || !/^\d+$/.test(tok.slice(1))) throw new ScriptArgError(`a change is v<id>, l<id> or r<id>, got '${tok}'`);
  return { kind, node };
}

function transitionOf(s: string | undefined): ConfChangeTransition {
  if (s === undefined) return 'auto';
  if (s !== 'auto' && s !== 'implicit' && s !== 'explicit') throw new ScriptArgError(`transition must be auto, implicit or explicit, got ${s}`);
  return s;
}

function eachNode(a: CommandArgs, title: string, f: (id: number) => string[]): string[] {
  const out: string[] = [];
  for (const id of a.ids()) out.push(`> ${id} ${title}`, ...indent(f(id)));
  return out;
}

/** Name, syntax and handler of every command, in the order docs list them. */
export const COMMANDS: Readonly<Record<string, { readonly syntax: string; readonly run: Handler }>> = {
  'add-nodes': {
    syntax: 'add-nodes <count> [voters=(1,2,3)] [prevote=true] [checkquorum=true] [read-only=safe|lease-based] [election-tick=3] [heartbeat-tick=1]',
    run: (env, a) => env.addNodes(a.int(0, 'count'), a.idsOption('voters'), nodeOptions(a)),
  },
  campaign: {
    syntax: 'campaign <id>',
    run: (env, a) => attempt(() => env.node(a.int(0, 'node id')).raw.campaign()),
  },
  propose: {
    syntax: 'propose <id> <data>',
    run: (env, a) => attempt(() => env.node(a.int(0, 'node id')).raw.propose(enc(a.arg(1, 'data')))),
  },
  'propose-conf-change': {
    syntax: 'propose-conf-change <id> [transition=auto|implicit|explicit] [v<id>|l<id>|r<id>]...   (no change: leave joint)',
    run: (env, a) => {
      const changes = a.rest(1).map(parseChange);
      const cc = { transition: transitionOf(a.option('transition')), changes, context: new Uint8Array(0) };
      return attempt(() => env.node(a.int(0, 'node id')).raw.proposeConfChange(cc));
    },
  },
  'transfer-leadership': {
    syntax: 'transfer-leadership from=<id> to=<id>',
    run: (env, a) => {
      const from = a.intOption('from');
      const to = a.intOption('to');
      if (from === undefined || to === undefined) throw new ScriptArgError('transfer-leadership needs from= and to=');
      env.node(from).raw.transferLeader(to);
      return [];
    },
  },
  'read-index': {
    syntax: 'read-index <id> <context>',
    run: (env, a) => attempt(() => env.node(a.int(0, 'node id')).raw.readIndex(enc(a.arg(1, 'context')))),
  },
  'tick-heartbeat': {
    syntax: 'tick-heartbeat <id>...   (heartbeat-tick ticks each)',
    run: (env, a) => {
      for (const id of a.ids()) env.tick(id, env.node(id).options.heartbeatTick);
      return [];
    },
  },
  'tick-election': {
    syntax: 'tick-election <id>...   (election-tick ticks each: a follower campaigns, a leader runs its CheckQuorum round)',
    run: (env, a) => {
      for (const id of a.ids()) env.tick(id, env.node(id).options.electionTick);
      return [];
    },
  },
  'process-ready': {
    syntax: 'process-ready <id>...',
    run: (env, a) => eachNode(a, 'handling Ready', (id) => env.processReady(id)),
  },
  'deliver-msgs': {
    syntax: 'deliver-msgs [type=<MsgType>] [drop=(<id>,...)] <id>...',
    run: (env, a) => {
      const type = a.option('type');
      const out: string[] = [];
      for (const id of a.idsOption('drop') ?? []) out.push(...env.drop(id, type));
      if (a.positional.length > 0) out.push(...eachNode(a, 'receiving messages', (id) => env.deliver(id, type)));
      return out;
    },
  },
  stabilize: {
    syntax: 'stabilize [<id>...]   (handle Readys and deliver among them, all nodes if none named, until quiet)',
    run: (env, a) => env.stabilize(a.positional.length > 0 ? a.ids() : env.ids()),
  },
  partition: {
    syntax: 'partition <id,id,...> <id,...>...   (cut every link between different groups)',
    run: (env, a) => {
      if (a.positional.length < 2) throw new ScriptArgError('partition needs at least two groups');
      return env.partition(a.groups());
    },
  },
  heal: {
    syntax: 'heal   (remove every cut)',
    run: (env) => env.heal(),
  },
  snapshot: {
    syntax: 'snapshot <id>   (the application snapshots at its applied index)',
    run: (env, a) => env.snapshot(a.int(0, 'node id')),
  },
  compact: {
    syntax: 'compact <id> <index>   (drop stored entries up to index; a snapshot must cover it)',
    run: (env, a) => env.compact(a.int(0, 'node id'), a.int(1, 'index')),
  },
  restart: {
    syntax: 'restart <id>   (crash, losing what is not persisted, and start again from storage)',
    run: (env, a) => env.restart(a.int(0, 'node id')),
  },
  status: {
    syntax: 'status <id>',
    run: (env, a) => env.status(a.int(0, 'node id')),
  },
  'raft-log': {
    syntax: 'raft-log <id>   (the stored log)',
    run: (env, a) => env.raftLog(a.int(0, 'node id')),
  },
};

/** Runs one script command line and returns its output (`ok` when it prints nothing). */
export function runCommand(env: InteractionEnv, line: string): string {
  const a = new CommandArgs(line);
  const cmd = COMMANDS[a.name];
  if (cmd === undefined) throw new ScriptArgError(`unknown command ${a.name}`);
  const out = cmd.run(env, a);
  a.done();
  return out.length === 0 ? 'ok' : out.join('\n');
}
