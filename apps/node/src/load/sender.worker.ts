// One sender thread of `massa-ts load`: signs transfers for its own accounts just before sending them (so
// every operation is inside its validity window when it arrives), at the rate the main thread sets, in
// batches of at most 100 per `send_operations` call (a full batch, or what is owed every 100 ms), and reports
// what it sent and what the node refused.
import * as http from "node:http";
import * as https from "node:https";
import { parentPort, workerData } from "node:worker_threads";
import { Address, Amount, SecretKey, SignedOperation } from "@massa-ts/models";
import { batchesDue } from "./batches.js";
import { classifyRefusal } from "./refusals.js";

export interface SenderInit {
  readonly url: string;
  readonly chainId: string;
  readonly fee: string;
  readonly secretKeys: readonly string[];
  /** Where each sender sends (one of the accounts). */
  readonly recipients: readonly string[];
  readonly validityPeriods: number;
  /** A call whose node sends nothing for this long fails (its operations count as refused). Default 60 000. */
  readonly answerTimeoutMs?: number;
  /** The largest answer read (100 ids are a few kilobytes). Default 4 MiB. */
  readonly maxAnswerBytes?: number;
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

/**
 * Plain HTTP over kept-alive connections (one per call in flight, at most four): `fetch` cost about a
 * millisecond of this thread per call, ten microseconds an operation.
 */
const target = new URL(init.url);
const client = target.protocol === "https:" ? https : http;
const agent = new client.Agent({ keepAlive: true, maxSockets: 4 });
const ANSWER_TIMEOUT_MS = init.answerTimeoutMs ?? 60_000;
const MAX_ANSWER_BYTES = init.maxAnswerBytes ?? 4 * 1024 * 1024;

/**
 * One call. A kept-alive connection the node closes just as a call goes out (its keep-alive timeout: the
 * node had not read the call) fails with ECONNRESET on reuse: that call is made again once, on a new
 * connection, as Node's documentation advises.
 */
function post(body: string, retried = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = client.request(
      {
        agent,
        // an IPv6 literal comes bracketed in a URL, not in a host name
        host: target.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: "POST",
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`the answer exceeds ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (!retried && req.reusedSocket && e.code === "ECONNRESET") post(body, true).then(resolve, reject);
      else reject(e);
    });
    // an idle timeout: the node sent nothing for that long (while it answers, the call goes on)
    req.setTimeout(ANSWER_TIMEOUT_MS, () =>
      req.destroy(new Error(`the node sent nothing for ${ANSWER_TIMEOUT_MS / 1000} s`)),
    );
    req.end(body);
  });
}

/** `send_operations`' parameters, written directly (keys and signatures are base58: nothing to escape). */
function operationsJson(batch: readonly SignedOperation[]): string {
  const items = batch.map(
    (op) =>
      `{"serialized_content":[${op.contentBytes.join(",")}],"creator_public_key":"${op.creator.toString()}","signature":"${op.signature.toString()}"}`,
  );
  return `{"jsonrpc":"2.0","id":1,"method":"send_operations","params":[[${items.join(",")}]]}`;
}

async function send(batch: SignedOperation[]): Promise<void> {
  const body = operationsJson(batch);
  const at = Date.now();
  try {
    const r = await post(body);
    let j: { result?: string[]; error?: { message: string } };
    try {
      j = JSON.parse(r.text) as typeof j;
    } catch {
      throw new Error(`HTTP ${r.status}, not a JSON-RPC answer`);
    }
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
  if (period === 0) continue;
  const due = batchesDue(owed, now - lastSent, inflight.size);
  owed = due.owedLeft;
  for (const n of due.sizes) {
    lastSent = now;
    const p = send(sign(n)).finally(() => inflight.delete(p));
    inflight.add(p);
  }
}
await Promise.all(inflight);
agent.destroy();
port.postMessage({ type: "stopped" } satisfies SenderReport);
