/** A bounded list that drops its oldest items: every series on the dashboard has a limit. */
export class Ring<T> {
  private readonly items: T[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.shift();
  }

  last(): T | undefined {
    return this.items[this.items.length - 1];
  }

  toArray(): readonly T[] {
    return [...this.items];
  }
}
