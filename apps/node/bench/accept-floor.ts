/**
 * The floor under `send_operations`: what Massa's JSON form of an operation costs the node's thread before
 * anything of the node itself runs. On one thread, for 20 000 transfers by 400 senders (bench:node's shape):
 * JSON.parse of the request bodies (100 operations each), `parseSendOperationInput` (the content's array of
 * numbers, the creator's key (cached, as in the node), the signature's base58check, the content, the id's
 * BLAKE3), and the answer (each id's base58check text, JSON.stringify), against one signature check of the
 * same operations. No HTTP, pool, GC helpers, block production or execution: a lower bound.
 * Run: pnpm --filter @massa-ts/node bench:accept-floor. Writes bench-results/accept-floor.json.
 */
import os from "node:os";
import { Address, blake3, parseSendOperationInput, SecretKey, type SignedOperation } from "@massa-ts/models";
import { benchTransfer } from "./devnet-helper.ts";
import { writeResult } from "./results.ts";
import { verifyRate } from "./yardstick.ts";

const OPS = 20_000;
const SENDERS = 400;
const CHAIN_ID = 77n; // benchTransfer's
const te = new TextEncoder();
console.log(
  `machine: ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`,
);

const senders = Array.from(
  { length: SENDERS },
  (_, i) => new SecretKey(blake3(te.encode(`floor-sender-${i}`))),
);
const recipient = Address.fromPublicKey(SecretKey.generate().publicKey);
const signed = Array.from({ length: OPS }, (_, i) =>
  benchTransfer(senders[i % SENDERS]!, recipient, Math.floor(i / SENDERS), 1),
);
const bodies: string[] = [];
for (let i = 0; i < OPS; i += 100)
  bodies.push(
    JSON.stringify({
      jsonrpc: "2.0",
      id: i,
      method: "send_operations",
      params: [signed.slice(i, i + 100).map((op) => op.toSendOperationsInput())],
    }),
  );

/** µs per operation of `fn` over every body, the best of five rounds (the first warms up). */
function perOp(fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const t = performance.now();
    fn();
    best = Math.min(best, ((performance.now() - t) * 1000) / OPS);
  }
  return best;
}

const yardBefore = verifyRate(1000);
let parsed: { params: [unknown[]] }[] = [];
const jsonUs = perOp(() => {
  parsed = bodies.map((b) => JSON.parse(b) as { params: [unknown[]] });
});
let ops: SignedOperation[] = [];
const decodeUs = perOp(() => {
  ops = [];
  for (const p of parsed) for (const input of p.params[0]) ops.push(parseSendOperationInput(input, CHAIN_ID));
});
// the answer's ids: each round on operations decoded afresh (an id caches its text once printed)
const rounds = Array.from({ length: 5 }, () =>
  parsed.map((p) => p.params[0].map((input) => parseSendOperationInput(input, CHAIN_ID))),
);
let round = 0;
const answerUs = perOp(() => {
  for (const [i, batch] of rounds[round++]!.entries())
    JSON.stringify({ jsonrpc: "2.0", id: i, result: batch.map((op) => op.id.toString()) });
});
const verifyUs = perOp(() => {
  for (const op of ops)
    if (!op.verifySignature()) throw new Error("a bench operation's signature is invalid");
});
const yardAfter = verifyRate(1000);
const verify = Math.round((yardBefore + yardAfter) / 2);

const floorUs = jsonUs + decodeUs + answerUs;
const fmt = (us: number) => `${us.toFixed(1)} µs`;
console.log(`yardstick: crypto.verify ${yardBefore}/s before, ${yardAfter}/s after (${fmt(1e6 / verify)})`);
console.log(`per operation: JSON.parse ${fmt(jsonUs)}, decode ${fmt(decodeUs)}, answer ${fmt(answerUs)}`);
console.log(
  `  floor ${fmt(floorUs)} = ${((floorUs * verify) / 1e6).toFixed(2)} signature checks; the check itself ${fmt(verifyUs)}`,
);
// two cores, every check off the thread: the rate is bound by the sum over both cores of check + floor
const ceiling = 2 / ((verifyUs + floorUs) / 1e6);
console.log(
  `two cores, nothing but these: at most ${Math.round(ceiling)} operations/s = ${(ceiling / verify).toFixed(2)}× the yardstick`,
);
writeResult(
  "accept-floor",
  verify,
  { floor_ops_per_s: Math.round(1e6 / floorUs), ceiling_ops_per_s: Math.round(ceiling) },
  { json_us: jsonUs, decode_us: decodeUs, answer_us: answerUs, verify_us: verifyUs },
);
console.log(
  `accept-floor: floor_us=${floorUs.toFixed(1)} ceiling_ratio=${(ceiling / verify).toFixed(3)} verify_per_s=${verify}`,
);
