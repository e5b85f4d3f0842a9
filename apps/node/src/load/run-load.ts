// `massa-ts load`: a load generator pointed at any node's public API. Sender threads sign transfers inside
// their validity window and send them in batches; this thread follows the final blocks (the final cursor of
// get_status, the blocks by slot) to see each operation final, and measures submission → final latency,
// accepted and final rates, refusals by reason. `tps: "max"` raises the rate while the node keeps up and reports the highest rate it sustained.
import { Address, Amount, SecretKey } from "@massa-ts/models";
import { spawnWorker } from "../spawn-worker.js";
import { fundSenders } from "./fund.js";
import type { SenderInit, SenderMessage, SenderReport } from "./sender.worker.js";

export interface LoadOptions {
  readonly rpc: string;
  readonly accounts: readonly { readonly secretKey: string }[];
  /** Operations per second offered, or "max" to find the highest rate the node sustains. */
  readonly tps: number | "max";
  readonly durationS: number;
  readonly threads: number;
  /**
   * Sending addresses: derived from the first account and funded from the accounts before the run (a pool
   * holds a bounded number of operations per sender, so a high rate needs many). Default 200.
   */
  readonly senders?: number;
  readonly log: (line: string) => void;
}

export interface LoadResult {
  /** Transfers final per second over the sending window. */
  readonly txPerS: number;
  readonly acceptedPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly sent: number;
  readonly final: number;
  readonly refusals: Record<string, number>;
  /** With `tps: "max"`: the highest offered rate the node kept up with. */
  readonly sustainedTps?: number;
  /**
   * This process's CPU (every thread) from the clock's start to the end, µs: the generator's own cost,
   * without its start (the sender threads' compilation) and the senders' funding.
   */
  readonly cpuMicros: number;
}

async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  const j = (await r.json()) as { result: T; error?: { message: string } };
  if (j.error) throw new Error(`${method}: ${j.error.message}`);
  return j.result;
}

/** The node refused a batch (too large for its `api.max_batch`, or batches not served). */
class BatchRefused extends Error {}

/** The same method called with each of `params` in one JSON-RPC batch; results in the order of `params`. */
async function rpcBatch<T>(url: string, method: string, params: readonly unknown[]): Promise<T[]> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(params.map((p, id) => ({ jsonrpc: "2.0", id, method, params: [p] }))),
    signal: AbortSignal.timeout(10_000),
  });
  const j = (await r.json()) as unknown;
  if (!Array.isArray(j)) throw new BatchRefused(`${method}: batch of ${params.length} refused`);
  const out = new Array<T>(params.length);
  for (const a of j as { id: number; result?: T; error?: { message: string } }[]) {
    if (a.error) throw new Error(`${method}: ${a.error.message}`);
    out[a.id] = a.result as T;
  }
  return out;
}

interface SlotJson {
  period: number;
  thread: number;
}
const slotAfter = (s: SlotJson, threads: number): SlotJson =>
  s.thread + 1 < threads ? { period: s.period, thread: s.thread + 1 } : { period: s.period + 1, thread: 0 };
const slotAfterCursor = (s: SlotJson, c: SlotJson) =>
  s.period > c.period || (s.period === c.period && s.thread > c.thread);

interface Status {
  chain_id: number;
  minimal_fees: string;
  last_slot: { period: number } | null;
  execution_stats?: { final_cursor: SlotJson | null };
  config: { t0: number; thread_count: number; operation_validity_periods: number };
}

const percentile = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  if (opts.accounts.length === 0) throw new Error("no accounts to send from");
  const status = await rpc<Status>(opts.rpc, "get_status", [{}]);
  const t0 = status.config.t0;
  const validity = status.config.operation_validity_periods;
  const senders = opts.senders ?? 200;
  const o: LoadOptions =
    senders > 0
      ? {
          ...opts,
          accounts: await fundSenders(
            {
              rpc: (method, params) => rpc(opts.rpc, method, params),
              accounts: opts.accounts,
              chainId: BigInt(status.chain_id),
              fee: Amount.fromMas(status.minimal_fees),
              period: status.last_slot?.period ?? 0,
              validityPeriods: validity,
              t0,
              log: opts.log,
            },
            senders,
          ),
        }
      : opts;
  const addresses = o.accounts.map((a) =>
    Address.fromPublicKey(SecretKey.fromString(a.secretKey).publicKey).toString(),
  );
  const threads = Math.max(1, Math.min(o.threads, o.accounts.length));
  const workers = Array.from({ length: threads }, (_, w) => {
    const mine = o.accounts.map((a, i) => [a, i] as const).filter(([, i]) => i % threads === w);
    const init: SenderInit = {
      url: o.rpc,
      chainId: String(status.chain_id),
      fee: status.minimal_fees,
      secretKeys: mine.map(([a]) => a.secretKey),
      recipients: mine.map(([, i]) => addresses[(i + 1) % addresses.length]!),
      validityPeriods: validity,
    };
    return spawnWorker(import.meta.url, "sender.worker", { workerData: init });
  });
  const post = (m: SenderMessage) => {
    for (const w of workers) w.postMessage(m);
  };

  // every sender thread started (compiled, keys parsed) before the clock starts
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          const onMessage = (r: SenderReport) => {
            if (r.type !== "ready") return;
            w.off("message", onMessage);
            resolve();
          };
          w.on("message", onMessage);
          w.once("error", reject);
        }),
    ),
  );
  const pending = new Map<string, number>(); // id → sent at (ms)
  const latencies: number[] = [];
  const refusals: Record<string, number> = {};
  let sent = 0;
  let finalInWindow = 0;
  let sending = true;
  const start = Date.now();
  const cpuAtStart = process.cpuUsage();
  let windowEnd = Number.POSITIVE_INFINITY;
  for (const w of workers)
    w.on("message", (r: SenderReport) => {
      if (r.type === "sent") {
        sent += r.ids.length;
        for (const id of r.ids) pending.set(id, r.at);
      } else if (r.type === "refused") refusals[r.reason] = (refusals[r.reason] ?? 0) + r.count;
    });

  // the current period (for signing inside the validity window) and the final cursor (the last final
  // executed slot), from get_status every quarter period
  const threadCount = status.config.thread_count;
  let period = status.last_slot?.period ?? 0;
  let finalCursor = status.execution_stats?.final_cursor ?? null;
  post({ type: "period", period });
  const periodTimer = setInterval(
    () => {
      rpc<Status>(o.rpc, "get_status", [{}])
        .then((s) => {
          period = s.last_slot?.period ?? period;
          finalCursor = s.execution_stats?.final_cursor ?? finalCursor;
          post({ type: "period", period });
        })
        .catch(() => {});
    },
    Math.max(100, t0 / 4),
  );

  // finality: the final blockclique's blocks, slot by slot after the final cursor of the start, read with
  // get_blockclique_block_by_slot in batches: an operation in one of them is final. Cheaper for the node
  // than asking get_operations of every pending operation until it is final (an operation's id costs a
  // few bytes in a block's answer, its whole OperationInfo in get_operations' one)
  const lostAfterMs = (validity + 2) * t0;
  let lost = 0;
  let next = finalCursor ? slotAfter(finalCursor, threadCount) : { period: 0, thread: 0 };
  let batchSize = 16;
  const follow = async () => {
    const slots: SlotJson[] = [];
    const cursor = finalCursor;
    if (cursor)
      for (let s = next; !slotAfterCursor(s, cursor) && slots.length < 256; s = slotAfter(s, threadCount))
        slots.push(s);
    for (let i = 0; i < slots.length; i += batchSize) {
      const part = slots.slice(i, i + batchSize);
      let blocks: ({ operations: string[] } | null)[];
      try {
        blocks = await rpcBatch(o.rpc, "get_blockclique_block_by_slot", part);
      } catch (e) {
        if (batchSize > 1 && e instanceof BatchRefused) batchSize = 1; // the node takes smaller batches
        return;
      }
      const now = Date.now();
      for (const b of blocks)
        for (const id of b?.operations ?? []) {
          const at = pending.get(id);
          if (at === undefined) continue;
          pending.delete(id);
          latencies.push(now - at);
          if (now <= windowEnd) finalInWindow++;
        }
      next = slotAfter(part.at(-1)!, threadCount);
    }
    // an operation is lost only once the blocks read reach the final cursor this round started from: a
    // follower behind a slow node has not seen the blocks that may hold it yet
    if (!cursor || !slotAfterCursor(next, cursor)) return;
    const now = Date.now();
    for (const [id, at] of pending)
      if (now - at > lostAfterMs) {
        pending.delete(id);
        lost++;
      }
  };
  const followLoop = (async () => {
    while (sending || pending.size > 0) {
      await follow();
      await new Promise((r) => setTimeout(r, 250));
      if (!sending && Date.now() - windowEnd > lostAfterMs) break;
    }
  })();

  // the rate: fixed, or raised while the node keeps up
  let sustained: number | undefined;
  const setRate = (tps: number) => post({ type: "rate", perSecond: tps / threads });
  const durationMs = o.durationS * 1000;
  let sustainedFinalPerS: number | undefined;
  let sustainedAcceptedPerS: number | undefined;
  if (o.tps === "max") {
    // raise the rate by half while the node takes what is offered and the operations waiting for finality
    // stay within about four periods' worth (the latency of a healthy chain is two to three); after the
    // first rate it does not sustain, narrow down between that one and the last it did (geometric middle)
    // while time remains, to within 10 %
    let rate = 200;
    let failed: number | undefined;
    const step = Math.max(8_000, 6 * t0);
    const backlog = (r: number) => r * ((4 * t0) / 1000 + 1);
    while (Date.now() - start < durationMs) {
      setRate(rate);
      const f0 = latencies.length;
      const s0 = sent;
      await new Promise((r) => setTimeout(r, step));
      const finals = ((latencies.length - f0) * 1000) / step;
      const accepted = ((sent - s0) * 1000) / step;
      o.log(
        `load: offered ${rate}/s, accepted ${accepted.toFixed(0)}/s, final ${finals.toFixed(0)}/s, waiting ${pending.size}`,
      );
      if (accepted >= 0.9 * rate && pending.size <= backlog(rate)) {
        sustained = rate;
        sustainedFinalPerS = finals;
        sustainedAcceptedPerS = accepted;
      } else {
        failed = rate;
        if (sustained === undefined) break;
        // let the backlog of the failed step drain at the last sustained rate before the next try
        setRate(sustained);
        const drainUntil = Date.now() + step;
        while (pending.size > backlog(sustained) && Date.now() < drainUntil)
          await new Promise((r) => setTimeout(r, 250));
      }
      if (failed === undefined) rate = Math.round(rate * 1.5);
      else if (sustained !== undefined && failed / sustained > 1.1)
        rate = Math.round(Math.sqrt(sustained * failed));
      else break;
    }
  } else {
    setRate(o.tps);
    while (Date.now() - start < durationMs) {
      await new Promise((r) => setTimeout(r, Math.min(5_000, durationMs)));
      o.log(
        `load: ${sent} sent, ${latencies.length} final, ${pending.size} pending, refused ${JSON.stringify(refusals)}`,
      );
    }
  }
  windowEnd = Date.now();
  sending = false;
  post({ type: "rate", perSecond: 0 });
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.on("message", (r: SenderReport) => {
            if (r.type === "stopped") void w.terminate().then(() => resolve());
          });
          w.postMessage({ type: "stop" } satisfies SenderMessage);
        }),
    ),
  );
  await followLoop;
  clearInterval(periodTimer);
  const cpu = process.cpuUsage(cpuAtStart);
  const seconds = (windowEnd - start) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  if (lost > 0) refusals["not final before expiry"] = lost;
  return {
    // with "max": the final rate measured while the highest sustained rate was offered
    txPerS: Math.round(sustainedFinalPerS ?? finalInWindow / seconds),
    acceptedPerS: Math.round(sustainedAcceptedPerS ?? sent / seconds),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    sent,
    final: latencies.length,
    refusals,
    ...(sustained !== undefined ? { sustainedTps: sustained } : {}),
    cpuMicros: cpu.user + cpu.system,
  };
}
