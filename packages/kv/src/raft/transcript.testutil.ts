// Raft scenarios as transcripts (etcd raft's datadriven tests): a file in testdata/ is a list of commands,
// each followed by the output it must produce — messages in, messages and state out — so a new Raft rule
// is a file a reviewer reads without reading test code. transcript.test.ts runs every file; with
// REWRITE=1 it writes the actual output back instead of comparing (then review the diff).
//
// File format: a block is a command line, a `----` line, the expected output, then a blank line. Lines
// starting with `#` between blocks are comments.
//
// Commands (ids are node ids; `k=v` arguments are optional unless shown without brackets):
//   nodes voters=1,2,3 [prevote=true] [checkquorum=false] [election=10]   start a cluster (first command)
//   log id=2 terms=1,1,2 term=2 [vote=0] [commit=0]    restart node 2 with this log (entry i has terms[i-1])
//   campaign 1 | propose 1 <text> | tick 1 [n] | read 1 <requestId> | transfer 1 <to>
//                                      act on a node; prints the messages it sends
//   step 2 <type> from=1 term=3 [...]   deliver a hand-written message to node 2; prints what it sends
//   deliver [from=1] [to=2] [drop]      deliver (or drop) the queued messages matching, in order; prints each
//                                      message delivered and what its receiver sends in answer
//   stabilize                           deliver everything until quiet (same printout)
//   isolate 1 | heal                    drop every message from or to node 1 / stop dropping
//   status [1 2 …]                      role, term, leader, commit, applied and log terms of each node
//
// Message fields (printed and parsed the same way): prev=index/term, last=index/term, commit=N,
// entries=[index/term,…], index=N, hint=N/term, reject, transfer, context=N, id=requestId.
import { drainReadies, Harness } from './harness.testutil.ts';
import { MemoryStorage } from './storage.ts';
import type { Entry, Message, NodeId } from './types.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export interface Block {
  readonly line: number;
  readonly command: string;
  readonly expected: string;
}

/** Splits a transcript into blocks; comments and blank lines between blocks are kept for rewriting. */
export function parseTranscript(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const cmd = lines[i] as string;
    if (cmd.trim() === '' || cmd.startsWith('#')) continue;
    if (lines[i + 1] !== '----') throw new Error(`line ${i + 2}: expected ---- after the command "${cmd}"`);
    const out: string[] = [];
    let j = i + 2;
    for (; j < lines.length && (lines[j] as string) !== ''; j++) out.push(lines[j] as string);
    blocks.push({ line: i + 1, command: cmd, expected: out.join('\n') });
    i = j;
  }
  return blocks;
}

/** Replaces each block's expected output with `actual` (same order), keeping comments and layout. */
export function rewriteTranscript(text: string, actual: readonly string[]): string {
  const blocks = parseTranscript(text);
  const lines = text.split('\n');
  const out: string[] = [];
  let next = 0;
  for (let i = 0; i < lines.length; i++) {
    const b = blocks[next];
    if (b !== undefined && i === b.line - 1) {
      out.push(b.command, '----');
      const a = actual[next++] ?? '';
      if (a !== '') out.push(...a.split('\n'));
      i += 2 + (b.expected === '' ? 0 : b.expected.split('\n').length) - 1;
      continue;
    }
    out.push(lines[i] as string);
  }
  return out.join('\n');
}

function args(words: readonly string[]): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq > 0) flags.set(w.slice(0, eq), w.slice(eq + 1));
    else if (/^[a-z]+$/.test(w) && (w === 'reject' || w === 'transfer' || w === 'drop')) flags.set(w, 'true');
    else positional.push(w);
  }
  return { flags, positional };
}

function num(flags: Map<string, string>, key: string, dflt?: number): number {
  const v = flags.get(key);
  if (v === undefined) {
    if (dflt === undefined) throw new Error(`missing ${key}=`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${key}=${v} is not a non-negative integer`);
  return n;
}

function pair(flags: Map<string, string>, key: string): [number, number] {
  const v = flags.get(key) ?? '0/0';
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (m === null) throw new Error(`${key}=${v}: expected index/term`);
  return [Number(m[1]), Number(m[2])];
}

function entries(spec: string | undefined): Entry[] {
  if (spec === undefined || spec === '[]' || spec === '') return [];
  return spec
    .replace(/^\[|\]$/g, '')
    .split(',')
    .map((p) => {
      const m = /^(\d+)\/(\d+)$/.exec(p);
      if (m === null) throw new Error(`entry ${p}: expected index/term`);
      return { type: 'normal', index: Number(m[1]), term: Number(m[2]), data: enc(`e${m[1]}`) } satisfies Entry;
    });
}

/** Parses `<type> from=1 term=3 …` addressed to `to`. */
export function parseMessage(to: NodeId, words: readonly string[]): Message {
  const [type, ...rest] = words;
  const { flags } = args(rest);
  const base = { from: num(flags, 'from'), to, term: num(flags, 'term') };
  const reject = flags.get('reject') === 'true';
  switch (type) {
    case 'append': {
      const [prevLogIndex, prevLogTerm] = pair(flags, 'prev');
      return { ...base, type, prevLogIndex, prevLogTerm, commit: num(flags, 'commit', 0), entries: entries(flags.get('entries')) };
    }
    case 'appendResponse': {
      const [rejectHint, logTerm] = pair(flags, 'hint');
      return { ...base, type, reject, index: num(flags, 'index', 0), rejectHint, logTerm };
    }
    case 'heartbeat':
      return { ...base, type, commit: num(flags, 'commit', 0), context: num(flags, 'context', 0) };
    case 'heartbeatResponse':
      return { ...base, type, context: num(flags, 'context', 0) };
    case 'vote':
    case 'preVote': {
      const [lastLogIndex, lastLogTerm] = pair(flags, 'last');
      return type === 'vote' ? { ...base, type, lastLogIndex, lastLogTerm, transfer: flags.get('transfer') === 'true' } : { ...base, type, lastLogIndex, lastLogTerm };
    }
    case 'voteResponse':
    case 'preVoteResponse':
      return { ...base, type, reject };
    case 'timeoutNow':
      return { ...base, type };
    case 'readIndex':
      return { ...base, type, requestId: flags.get('id') ?? '' };
    case 'readIndexResponse':
      return { ...base, type, requestId: flags.get('id') ?? '', index: num(flags, 'index', 0), reject };
    default:
      throw new Error(`cannot write a ${String(type)} message in a transcript`);
  }
}

export function formatMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'append':
      return `${head} prev=${m.prevLogIndex}/${m.prevLogTerm} commit=${m.commit} entries=[${m.entries.map((e) => `${e.index}/${e.term}`).join(',')}]`;
    case 'appendResponse':
      return m.reject ? `${head} reject index=${m.index} hint=${m.rejectHint}/${m.logTerm}` : `${head} index=${m.index}`;
    case 'heartbeat':
      return `${head} commit=${m.commit} context=${m.context}`;
    case 'heartbeatResponse':
      return `${head} context=${m.context}`;
    case 'vote':
      return `${head} last=${m.lastLogIndex}/${m.lastLogTerm}${m.transfer ? ' transfer' : ''}`;
    case 'preVote':
      return `${head} last=${m.lastLogIndex}/${m.lastLogTerm}`;
    case 'voteResponse':
    case 'preVoteResponse':
      return m.reject ? `${head} reject` : head;
    case 'snapshot':
      return `${head} snapshot=${m.snapshot.metadata.index}/${m.snapshot.metadata.term}`;
    case 'timeoutNow':
      return head;
    case 'propose':
      return `${head} data=${new TextDecoder().decode(m.data)}`;
    case 'readIndex':
      return `${head} id=${m.requestId}`;
    case 'readIndexResponse':
      return `${head} id=${m.requestId} index=${m.index}${m.reject ? ' reject' : ''}`;
    default: {
      const never: never = m;
      return String(never);
    }
  }
}

/** Runs transcript commands against a Harness's nodes, with an explicit mailbox of sent messages. */
export class TranscriptEnv {
  private h: Harness | undefined;
  private mailbox: Message[] = [];
  private isolated: NodeId | undefined;

  private get harness(): Harness {
    if (this.h === undefined) throw new Error('the first command must be "nodes voters=…"');
    return this.h;
  }

  /** Persist each pending Ready of `id` as the Ready contract says, queue its messages, print them. */
  private processReady(id: NodeId, out: string[]): void {
    const hn = this.harness.nodes.get(id);
    if (hn === undefined) throw new Error(`no node ${id}`);
    drainReadies(hn.node, (rd) => {
      if (rd.snapshot !== undefined) hn.storage.applySnapshot(rd.snapshot);
      hn.storage.append(rd.entries);
      if (rd.hardState !== undefined) hn.storage.setHardState(rd.hardState);
      for (const e of rd.committedEntries) hn.applied.push(e);
      for (const r of rd.readStates) {
        hn.readStates.push(r);
        out.push(`  ${id} read ${r.requestId} index=${r.index}`);
      }
      for (const m of rd.messages) {
        this.mailbox.push(m);
        out.push(`  ${formatMessage(m)}`);
      }
      hn.node.advance();
    });
  }

  private deliver(match: (m: Message) => boolean, drop: boolean): string[] {
    const out: string[] = [];
    for (let steps = 0; ; steps++) {
      if (steps > 10_000) throw new Error('did not stabilize within 10000 messages');
      const i = this.mailbox.findIndex(match);
      if (i < 0) return out;
      const [m] = this.mailbox.splice(i, 1) as [Message];
      if (drop || (this.isolated !== undefined && (m.from === this.isolated || m.to === this.isolated))) {
        out.push(`dropped ${formatMessage(m)}`);
        continue;
      }
      out.push(formatMessage(m));
      if (!this.harness.nodes.has(m.to)) continue;
      this.harness.get(m.to).step(m);
      this.processReady(m.to, out);
    }
  }

  private status(ids: readonly NodeId[]): string[] {
    const which = ids.length > 0 ? ids : [...this.harness.nodes.keys()].sort((a, b) => a - b);
    return which.map((id) => {
      const hn = this.harness.nodes.get(id);
      if (hn === undefined) throw new Error(`no node ${id}`);
      const s = hn.node.status();
      const terms: number[] = [];
      for (let i = hn.storage.firstIndex(); i <= hn.storage.lastIndex(); i++) terms.push(hn.storage.term(i));
      return `${id}: ${s.role} term=${s.term} vote=${s.vote} lead=${s.leaderId} commit=${s.commit} applied=${s.applied} log=[${terms.join(',')}]`;
    });
  }

  /** Runs one command line; returns its output. */
  run(command: string): string {
    const [verb, ...rest] = command.trim().split(/\s+/);
    const { flags, positional } = args(rest);
    const id = (): NodeId => {
      const n = Number(positional[0]);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${command}: expected a node id`);
      return n;
    };
    const out: string[] = [];
    switch (verb) {
      case 'nodes': {
        const voters = (flags.get('voters') ?? '').split(',').map(Number);
        this.h = new Harness(voters, {
          preVote: flags.get('prevote') !== 'false',
          checkQuorum: flags.get('checkquorum') !== 'false',
          electionTicks: num(flags, 'election', 10),
        });
        this.mailbox = [];
        return this.status([]).join('\n');
      }
      case 'log': {
        const nodeId = num(flags, 'id');
        const terms = (flags.get('terms') ?? '').split(',').filter((t) => t !== '').map(Number);
        const storage = new MemoryStorage({ voters: [...this.harness.nodes.keys()], learners: [] });
        storage.append(terms.map((term, i): Entry => ({ type: 'normal', term, index: i + 1, data: enc(`e${i + 1}`) })));
        const commit = num(flags, 'commit', 0);
        storage.setHardState({ term: num(flags, 'term', terms.at(-1) ?? 0), vote: num(flags, 'vote', 0), commit });
        this.harness.add(nodeId, storage, commit);
        return this.status([nodeId]).join('\n');
      }
      case 'campaign':
        this.harness.get(id()).campaign();
        this.processReady(id(), out);
        break;
      case 'propose':
        this.harness.get(id()).propose(enc(positional[1] ?? ''));
        this.processReady(id(), out);
        break;
      case 'tick':
        for (let i = 0; i < Number(positional[1] ?? 1); i++) this.harness.get(id()).tick();
        this.processReady(id(), out);
        break;
      case 'read':
        this.harness.get(id()).readIndex(positional[1] ?? 'r');
        this.processReady(id(), out);
        break;
      case 'transfer':
        this.harness.get(id()).transferLeadership(Number(positional[1]));
        this.processReady(id(), out);
        break;
      case 'step': {
        const m = parseMessage(id(), rest.slice(1));
        out.push(formatMessage(m));
        this.harness.get(id()).step(m);
        this.processReady(id(), out);
        break;
      }
      case 'deliver': {
        const from = flags.has('from') ? num(flags, 'from') : undefined;
        const to = flags.has('to') ? num(flags, 'to') : undefined;
        const queued = new Set(this.mailbox);
        out.push(...this.deliver((m) => queued.has(m) && (from === undefined || m.from === from) && (to === undefined || m.to === to), flags.get('drop') === 'true'));
        break;
      }
      case 'stabilize':
        out.push(...this.deliver(() => true, false));
        break;
      case 'isolate':
        this.isolated = id();
        break;
      case 'heal':
        this.isolated = undefined;
        break;
      case 'status':
        out.push(...this.status(positional.map(Number)));
        break;
      default:
        throw new Error(`unknown transcript command "${command}"`);
    }
    return out.join('\n');
  }
}
