// A deterministic record of a run: a running hash over every event line (cheap enough for every run)
// and, on request, the lines themselves (for diffing two runs or reading a failure).

import type { Message } from '@halyard/kv/raft';

const FNV_OFFSET_32 = 0x811c9dc5;
const FNV_PRIME_32 = 0x01000193;

export class Trace {
  /** Two independent 32-bit lanes (FNV-1a and a multiplicative mix) make a 64-bit fingerprint without BigInt. */
  private hashA = FNV_OFFSET_32;
  private hashB = 0x9e3779b9;
  private count = 0;
  readonly lines: string[] | undefined;
  /** The last lines, kept even without full tracing so a failure report shows what led to it. */
  private readonly tail: string[] = [];
  private readonly tailLinesMax: number;

  constructor(keepLines: boolean, tailLinesMax = 40) {
    this.lines = keepLines ? [] : undefined;
    this.tailLinesMax = tailLinesMax;
  }

  record(line: string): void {
    let a = this.hashA;
    let b = this.hashB;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      a = Math.imul(a ^ c, FNV_PRIME_32);
      b = Math.imul(b + c, 0x85ebca6b) ^ (b >>> 13);
    }
    // The line separator, so ["ab","c"] and ["a","bc"] differ.
    this.hashA = Math.imul(a ^ 10, FNV_PRIME_32) >>> 0;
    this.hashB = (Math.imul(b + 10, 0x85ebca6b) ^ (b >>> 13)) >>> 0;
    this.count++;
    this.lines?.push(line);
    this.tail.push(line);
    if (this.tail.length > this.tailLinesMax) this.tail.shift();
  }

  get eventCount(): number {
    return this.count;
  }

  hex(): string {
    return (this.hashA >>> 0).toString(16).padStart(8, '0') + (this.hashB >>> 0).toString(16).padStart(8, '0');
  }

  lastLines(): readonly string[] {
    return this.tail;
  }
}

/** One message as a trace line fragment: type, route, term and the fields that identify it. */
export function describeMessage(m: Message): string {
  const head = `${m.type} ${m.from}>${m.to} t${m.term}`;
  switch (m.type) {
    case 'append':
      return `${head} p${m.prevLogIndex}/${m.prevLogTerm} n${m.entries.length} c${m.commit}`;
    case 'appendResponse':
      return `${head} ${m.reject ? 'rej' : 'ok'} i${m.index} h${m.rejectHint}`;
    case 'preVote':
    case 'vote':
      return `${head} l${m.lastLogIndex}/${m.lastLogTerm}`;
    case 'preVoteResponse':
    case 'voteResponse':
      return `${head} ${m.reject ? 'rej' : 'ok'}`;
    case 'heartbeat':
      return `${head} c${m.commit}`;
    case 'snapshot':
      return `${head} @${m.snapshot.metadata.index}`;
    case 'readIndex':
    case 'readIndexResponse':
      return `${head} ${m.requestId}`;
    case 'propose':
      return `${head} ${m.data.byteLength}b`;
    case 'heartbeatResponse':
    case 'timeoutNow':
      return head;
    default: {
      const never: never = m;
      return `unknown ${JSON.stringify(never)}`;
    }
  }
}
