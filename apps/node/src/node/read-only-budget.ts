// The time read-only executions may take on the node's thread (a token bucket of milliseconds): contracts
// run on that thread, so the API's read-only calls, whoever sends them, get a bounded share of it. Measured
// in time, not gas: what it bounds is the thread, and a failed call's gas is not known.

export class ReadOnlyBudget {
  private tokens: number;
  private at: number;

  constructor(
    /** Milliseconds added per second. */
    private readonly perSecond: number,
    /** The most that may be saved up (a burst). */
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.at = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.at) / 1000) * this.perSecond);
    this.at = t;
  }

  /** Milliseconds until a call may run, 0 when it may now (the budget is not empty). */
  waitMs(): number {
    this.refill();
    return this.tokens > 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000) + 1;
  }

  /** Takes what a call spent (the bucket may go below zero: the next calls wait it back). */
  spend(ms: number): void {
    this.refill();
    this.tokens -= ms;
  }
}
