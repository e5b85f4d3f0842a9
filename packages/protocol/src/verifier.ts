import {
  MassaTsError,
  type PublicKey,
  type Signature,
  type SignedEndorsement,
  type SignedOperation,
  workerFile,
} from "@massa-ts/models";
import { Piscina } from "piscina";
import { SignatureCache } from "./signature-cache.js";
import type { VerifyTask } from "./verify-types.js";

/** A signature to check: `creator` signed `message` (32 bytes in Massa). */
export interface SignedItem {
  readonly creator: PublicKey;
  readonly message: Uint8Array;
  readonly signature: Signature;
}

export interface SignatureVerifierOptions {
  /** Worker threads. Default 1 (on a 2-core machine: the main thread keeps the other core). 0: all inline. */
  readonly threads?: number;
  /** Batches smaller than this are verified on the calling thread (a worker round trip costs more). Default 16. */
  readonly inlineBelow?: number;
  /** Items per worker task. Default 256. */
  readonly chunk?: number;
  /** Items waiting for a worker before `verify` refuses with VERIFIER_BUSY. Default 200 000. */
  readonly maxPending?: number;
  /**
   * Verified (operation or endorsement id, signature) pairs remembered, so an item seen twice (relayed,
   * then in a block) is checked once. Default 200 000.
   */
  readonly cacheSize?: number;
  /**
   * Small batches (below `inlineBelow`) gathered over one turn of the event loop and verified together in
   * the pool, instead of inline: a node taking one operation per API call (as wallets send them) checks
   * them off its thread too. Default false.
   */
  readonly coalesce?: boolean;
}

/** The verifier refuses work: too much is queued (`VERIFIER_BUSY`) or it is closed (`VERIFIER_CLOSED`). */
export class VerifierError extends MassaTsError {}

/**
 * Batch Ed25519 verification in a Piscina pool: big batches are split into chunks that run on worker
 * threads while the main thread keeps serving; small ones run inline. Remembers verified operations
 * (id + exact signature bytes), so an operation relayed and then included in a block is verified once.
 */
export class SignatureVerifier {
  private readonly pool: Piscina<VerifyTask, Uint8Array> | undefined;
  private readonly inlineBelow: number;
  private readonly chunk: number;
  private readonly maxPending: number;
  private readonly cacheSize: number;
  private readonly cache: SignatureCache;
  private queued = 0;
  private closed = false;
  /** Chunks not yet handed to Piscina: priority first. At most `2 × threads` chunks are in the pool. */
  private readonly waiting: { high: Job[]; normal: Job[] } = { high: [], normal: [] };
  private inPool = 0;
  private readonly maxInPool: number;
  private readonly coalesce: boolean;
  /** Small batches waiting for the next turn of the event loop (with `coalesce`). */
  private gathered: {
    items: readonly SignedItem[];
    resolve(r: boolean[]): void;
    reject(e: unknown): void;
  }[] = [];
  private gatheredCount = 0;
  /** Counters: signatures checked inline, in workers, and operations answered from the cache. */
  readonly stats = { inline: 0, pooled: 0, cacheHits: 0 };

  constructor(opts: SignatureVerifierOptions = {}) {
    const threads = opts.threads ?? 1;
    this.inlineBelow = opts.inlineBelow ?? 16;
    this.coalesce = opts.coalesce ?? false;
    this.chunk = opts.chunk ?? 256;
    this.maxPending = opts.maxPending ?? 200_000;
    this.cacheSize = opts.cacheSize ?? 200_000;
    this.cache = new SignatureCache(this.cacheSize);
    this.maxInPool = 2 * Math.max(1, threads);
    if (threads > 0) {
      const { filename, execArgv } = workerFile(import.meta.url, "verify.worker");
      this.pool = new Piscina<VerifyTask, Uint8Array>({
        filename,
        execArgv,
        minThreads: threads,
        maxThreads: threads,
      });
    }
  }

  /** Signatures waiting for a worker. */
  get pending(): number {
    return this.queued;
  }

  /**
   * One boolean per item, in order. Throws VerifierError when `maxPending` would be exceeded, unless
   * `opts.priority`: work its caller bounds itself (a block queue), which must neither be refused nor wait
   * because relayed operations filled the queue. Priority chunks go to the workers first.
   */
  async verify(
    items: readonly SignedItem[],
    opts: { priority?: boolean /** internal: a gathered batch, whatever its size */; pooled?: boolean } = {},
  ): Promise<boolean[]> {
    if (this.closed) throw new VerifierError("VERIFIER_CLOSED", "the signature verifier is closed");
    const n = items.length;
    if (this.pool && this.coalesce && n < this.inlineBelow && !opts.priority && !opts.pooled && n > 0)
      return this.gather(items);
    if (!this.pool || (n < this.inlineBelow && !opts.pooled)) {
      this.stats.inline += n;
      return items.map((it) => it.creator.verify(it.message, it.signature));
    }
    if (!opts.priority && this.queued + n > this.maxPending) {
      throw new VerifierError(
        "VERIFIER_BUSY",
        `${this.queued} signatures already wait for verification (limit ${this.maxPending}); try again later`,
      );
    }
    this.queued += n;
    try {
      const parts: Promise<Uint8Array>[] = [];
      const lane = opts.priority ? this.waiting.high : this.waiting.normal;
      for (let s = 0; s < n; s += this.chunk) {
        const task = pack(items, s, Math.min(n, s + this.chunk));
        parts.push(new Promise<Uint8Array>((resolve, reject) => lane.push({ task, resolve, reject })));
      }
      this.dispatch();
      const out: boolean[] = [];
      for (const r of await Promise.all(parts)) for (const b of r) out.push(b === 1);
      this.stats.pooled += n;
      return out;
    } finally {
      this.queued -= n;
    }
  }

  /** Verifies operations' signatures, answering from the cache where the same id and signature passed. */
  verifyOperations(ops: readonly SignedOperation[], opts: { priority?: boolean } = {}): Promise<boolean[]> {
    return this.verifyCached(
      ops,
      (op) => op.id.key,
      (op) => ({ creator: op.creator, message: op.id.hash, signature: op.signature }),
      opts,
    );
  }

  /**
   * Verifies endorsements' signatures, answering from the cache where the same endorsement (id and
   * signature) passed: an endorsement checked when it was relayed is not checked again in a block (Massa's
   * protocol keeps such a cache of checked endorsements).
   */
  verifyEndorsements(
    es: readonly SignedEndorsement[],
    opts: { priority?: boolean } = {},
  ): Promise<boolean[]> {
    return this.verifyCached(
      es,
      (e) => `e${e.id.key}`,
      (e) => ({ creator: e.creator, message: e.signedHash(), signature: e.signature }),
      opts,
    );
  }

  private async verifyCached<T extends { readonly signature: Signature }>(
    items: readonly T[],
    key: (item: T) => string,
    signed: (item: T) => SignedItem,
    opts: { priority?: boolean },
  ): Promise<boolean[]> {
    const out = new Array<boolean>(items.length).fill(true);
    const todo: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (this.cache.has(key(it), it.signature.raw)) this.stats.cacheHits++;
      else todo.push(i);
    }
    if (todo.length === 0) return out;
    const res = await this.verify(
      todo.map((i) => signed(items[i]!)),
      opts,
    );
    for (let j = 0; j < todo.length; j++) {
      const it = items[todo[j]!]!;
      out[todo[j]!] = res[j]!;
      if (res[j]) {
        this.cache.add(key(it), it.signature.raw); // the newest entry
      }
    }
    return out;
  }

  /** A small batch joins the others of this turn; they go to the pool together. */
  private gather(items: readonly SignedItem[]): Promise<boolean[]> {
    return new Promise((resolve, reject) => {
      if (this.gathered.length === 0) setImmediate(() => this.flushGathered());
      this.gathered.push({ items, resolve, reject });
      this.gatheredCount += items.length;
      if (this.gatheredCount >= this.chunk) this.flushGathered();
    });
  }

  private flushGathered(): void {
    const batch = this.gathered;
    if (batch.length === 0) return;
    this.gathered = [];
    this.gatheredCount = 0;
    const all = batch.flatMap((b) => b.items);
    this.verify(all, { pooled: true }).then(
      (res) => {
        let at = 0;
        for (const b of batch) {
          b.resolve(res.slice(at, at + b.items.length));
          at += b.items.length;
        }
      },
      (e) => {
        for (const b of batch) b.reject(e);
      },
    );
  }

  /** Hands waiting chunks to the pool, priority first, keeping at most `maxInPool` there. */
  private dispatch(): void {
    const pool = this.pool;
    if (!pool) return;
    while (this.inPool < this.maxInPool) {
      const job = this.waiting.high.shift() ?? this.waiting.normal.shift();
      if (!job) return;
      this.inPool++;
      pool
        .run(job.task)
        .then(job.resolve, job.reject)
        .finally(() => {
          this.inPool--;
          this.dispatch();
        });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closed = new VerifierError("VERIFIER_CLOSED", "the signature verifier is closed");
    for (const job of [...this.waiting.high.splice(0), ...this.waiting.normal.splice(0)]) job.reject(closed);
    await this.pool?.destroy();
  }
}

interface Job {
  readonly task: VerifyTask;
  resolve(r: Uint8Array): void;
  reject(e: unknown): void;
}

function pack(items: readonly SignedItem[], from: number, to: number): VerifyTask {
  const count = to - from;
  const keys = new Uint8Array(count * 32);
  const messages = new Uint8Array(count * 32);
  const signatures = new Uint8Array(count * 64);
  for (let i = 0; i < count; i++) {
    const it = items[from + i]!;
    if (it.message.length !== 32)
      throw new RangeError(`message ${from + i} is ${it.message.length} bytes, not 32`);
    keys.set(it.creator.raw, i * 32);
    messages.set(it.message, i * 32);
    signatures.set(it.signature.raw, i * 64);
  }
  return { count, keys, messages, signatures };
}
