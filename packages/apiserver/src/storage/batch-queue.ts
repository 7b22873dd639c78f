// A bounded queue between a push-style source (an event emitter) and an async iterator. At the bound the
// queue fails instead of growing: a watcher that cannot keep up is ended (kube-apiserver terminates slow
// watchers the same way) and the client re-lists or resumes.

export class BatchQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private failure: { readonly error: unknown } | undefined;
  private ended = false;
  private wakeup: (() => void) | undefined;

  constructor(
    private readonly capacity: number,
    private readonly overflowError: () => unknown,
  ) {}

  push(item: T): void {
    if (this.ended) return;
    if (this.items.length >= this.capacity) {
      this.fail(this.overflowError());
      return;
    }
    this.items.push(item);
    this.wake();
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.ended = true;
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.wakeup;
    this.wakeup = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.failure !== undefined) throw this.failure.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wakeup = resolve));
    }
  }
}
