// One sender thread of `massa-ts load`: signs transfers for its own accounts just before sending them (so
// every operation is inside its validity window when it arrives), at the rate the main thread sets, in
// batches of at most 100 per `send_operations` call (a full batch, or what is owed every 100 ms), and reports
// what it sent and what the node refused.
import { parentPort, workerData } from "node:worker_threads";
import { Address, Amount, SecretKey, SignedOperation } from "@massa-ts/models";
import { classifyRefusal } from "./refusals.js";

export interface SenderInit {
  readonly url: string;
  readonly chainId: string;
  readonly fee: string;
  readonly secretKeys: readonly string[];
  /** Where each sender sends (one of the accounts). */
  readonly recipients: readonly string[];
  readonly validityPeriods: number;
}

export type SenderMessage =
  | { type: "rate"; perSecond: number }
  | { type: "period"; period: number }
  | { type: "stop" };

export type SenderReport =
  | { type: "ready" }
  | { type: "sent"; ids: string[]; at: number }
  | { type: "refused"; count: number; reason: string }
  | { type: "stopped" };

const BATCH = 100;
const init = workerData as SenderInit;
const port = parentPort!;
const keys = init.secretKeys.map((k) => SecretKey.fromString(k));
const recipients = init.recipients.map((a) => Address.fromString(a));
const fee = Amount.fromMas(init.fee);
const chainId = BigInt(init.chainId);
let rate = 0;
let period = 0;
let running = true;
let seq = 0;

port.on("message", (m: SenderMessage) => {
  if (m.type === "rate") rate = m.perSecond;
  else if (m.type === "period") period = m.period;
  else running = false;
});

async function send(batch: SignedOperation[]): Promise<void> {
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "send_operations",
    params: [
      batch.map((op) => ({
        serialized_content: Array.from(op.contentBytes),
        creator_public_key: op.creator.toString(),
        signature: op.signature.toString(),
      })),
    ],
  });
  const at = Date.now();
  try {
    const r = await fetch(init.url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    const j = (await r.json()) as { result?: string[]; error?: { message: string } };
    if (j.result) {
      port.postMessage({ type: "sent", ids: j.result, at } satisfies SenderReport);
      return;
    }
    const message = j.error?.message ?? `HTTP ${r.status}`;
    // the operations before the refused one were taken
    const k = Number(/^operation (\d+)/.exec(message)?.[1] ?? 0);
    if (k > 0)
      port.postMessage({
        type: "sent",
        ids: batch.slice(0, k).map((o) => o.id.toString()),
        at,
      } satisfies SenderReport);
    port.postMessage({
      type: "refused",
      count: batch.length - k,
      reason: classifyRefusal(message),
    } satisfies SenderReport);
  } catch (e) {
    port.postMessage({
      type: "refused",
      count: batch.length,
      reason: `unreachable: ${(e as Error).message}`,
    } satisfies SenderReport);
  }
}

/** Signs `n` transfers now, spread over the senders, each to its recipient, valid from the current period. */
function sign(n: number): SignedOperation[] {
  const out: SignedOperation[] = [];
  for (let i = 0; i < n; i++, seq++) {
    const s = seq % keys.length;
    out.push(
      SignedOperation.sign(
        {
          fee,
          expirePeriod: period + init.validityPeriods - 1,
          // distinct amounts keep every operation distinct
          payload: {
            type: "Transaction",
            recipient: recipients[s]!,
            amount: Amount.fromNano(BigInt(1 + (seq % 1_000_000))),
          },
        },
        keys[s]!,
        chainId,
      ),
    );
  }
  return out;
}

// compiled and keyed: the rate's clock may start (a thread's start is not the node's time)
port.postMessage({ type: "ready" } satisfies SenderReport);
let owed = 0;
let last = performance.now();
let lastSent = last;
const inflight = new Set<Promise<void>>();
while (running) {
  await new Promise((r) => setTimeout(r, 20));
  const now = performance.now();
  owed += (rate * (now - last)) / 1000;
  last = now;
  if (period === 0 || owed < 1) continue;
  // a full batch, or what is owed after 100 ms: fewer, larger calls cost the node (and this thread) less
  // per operation than one call every 20 ms, for at most 100 ms more latency
  if (owed < BATCH && now - lastSent < 100) continue;
  lastSent = now;
  // at most four calls in flight: past that the node is the limit, and owing more only queues
  if (inflight.size >= 4) {
    owed = Math.min(owed, BATCH * 4);
    continue;
  }
  const n = Math.min(Math.floor(owed), BATCH);
  owed -= n;
  const p = send(sign(n)).finally(() => inflight.delete(p));
  inflight.add(p);
}
await Promise.all(inflight);
port.postMessage({ type: "stopped" } satisfies SenderReport);
