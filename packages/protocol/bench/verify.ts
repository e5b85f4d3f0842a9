// Does signature verification need a worker pool? Verifies batches of operation signatures on the main thread
// and in a Piscina pool (1 and 2 threads), and reports throughput and how long the main thread's event loop
// was blocked meanwhile (what a node's slot clock, sockets and API feel).
import os from "node:os";
import { Amount, blake3, SecretKey, SignedOperation } from "@massa-ts/models";
import { SignatureVerifier } from "@massa-ts/protocol";

const N = Number(process.env.MASSA_TS_BENCH_SIGS ?? 20_000);
console.log(
  `machine: ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`,
);
const te = new TextEncoder();
const keys = Array.from({ length: 1000 }, (_, i) => new SecretKey(blake3(te.encode(`bench-${i}`))));
const ops = Array.from({ length: N }, (_, i) =>
  SignedOperation.sign(
    { fee: Amount.ZERO, expirePeriod: i, payload: { type: "RollBuy", rollCount: 1n } },
    keys[i % keys.length]!,
    77n,
  ),
);
const items = ops.map((op) => ({ creator: op.creator, message: op.id.hash, signature: op.signature }));

async function run(label: string, v: SignatureVerifier, batch: number): Promise<void> {
  await v.verify(items.slice(0, 512)); // warm the workers and key caches
  // a 1 ms ticker: the longest gap between two ticks is the longest the event loop was blocked
  let last = performance.now();
  let worst = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  const t = performance.now();
  const work: Promise<boolean[]>[] = [];
  // messages arrive one by one: each batch is handed over in its own event-loop turn
  for (let s = 0; s < N; s += batch) {
    work.push(v.verify(items.slice(s, s + batch)));
    await new Promise((r) => setImmediate(r));
  }
  const ok = (await Promise.all(work)).flat().every(Boolean);
  const ms = performance.now() - t;
  clearInterval(ticker);
  if (!ok) throw new Error("a valid signature was refused");
  console.log(
    `${label.padEnd(24)} ${String(Math.round((N / ms) * 1000)).padStart(7)} sig/s   longest event-loop block: ${worst.toFixed(1)} ms`,
  );
  await v.close();
}

console.log(`${N} operation signatures, batches of 1 000 (an "operations" message)`);
await run("main thread (inline)", new SignatureVerifier({ threads: 0 }), 1000);
await run("Piscina, 1 worker", new SignatureVerifier({ threads: 1 }), 1000);
await run("Piscina, 2 workers", new SignatureVerifier({ threads: 2 }), 1000);
