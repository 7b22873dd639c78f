// A deterministic record of a run: a running hash over every event line (cheap enough for every run)
// and, on request, the lines themselves (for diffing two runs or reading a failure).

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
