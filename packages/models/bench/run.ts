/**
 * models benchmark: operations decoded + verified per second, as the node does it (libsodium first, OpenSSL
 * deciding what it refuses: `ed25519.ts`) and with @noble/curves, against raw `crypto.verify` alone on one
 * core (the baseline).
 *
 * Run: pnpm --filter @massa-ts/models bench
 */
import { createPublicKey, verify as nodeVerify } from "node:crypto";
import os from "node:os";
import {
  Address,
  Amount,
  ByteWriter,
  blake3,
  concatBytes,
  ED25519_BACKEND,
  SecretKey,
  SignedOperation,
  u64be,
} from "@massa-ts/models";
import { ed25519 } from "@noble/curves/ed25519.js";

const CHAIN_ID = 77658366n;
const N_KEYS = 200;
const N_OPS = 4000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeRuns(runs: number, fn: () => void): number {
  const ms: number[] = [];
  fn(); // warm-up
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

// Build N_OPS signed Transactions from N_KEYS senders, as wire bytes (sig65 ‖ pubkey33 ‖ content).
const keys = Array.from({ length: N_KEYS }, () => SecretKey.generate());
const wire: Uint8Array[] = [];
for (let i = 0; i < N_OPS; i++) {
  const sk = keys[i % N_KEYS]!;
  const to = Address.fromPublicKey(keys[(i + 1) % N_KEYS]!.publicKey);
  const w = new ByteWriter(64);
  Amount.fromNano(1000 + i).serialize(w);
  w.varint(100 + (i % 50)).varint(0);
  to.serialize(w);
  Amount.fromMas("1.5").serialize(w);
  const content = w.finish();
  const id = blake3(concatBytes(u64be(CHAIN_ID), sk.publicKey.toBytes(), content));
  wire.push(concatBytes(sk.sign(id).toBytes(), sk.publicKey.toBytes(), content));
}

type Decoded = { sig: Uint8Array; pk: Uint8Array; content: Uint8Array };
function split(b: Uint8Array): Decoded {
  return { sig: b.subarray(1, 65), pk: b.subarray(65, 98), content: b.subarray(98) };
}

const pkCache = new Map<string, ReturnType<typeof createPublicKey>>();
const SPKI = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
function nodeKey(pk33: Uint8Array) {
  const k = Buffer.from(pk33).toString("hex");
  let o = pkCache.get(k);
  if (!o) {
    o = createPublicKey({
      key: Buffer.from(concatBytes(SPKI, pk33.subarray(1))),
      format: "der",
      type: "spki",
    });
    pkCache.set(k, o);
  }
  return o;
}

// Precomputed ids for the raw baselines (they measure verification only).
const pre = wire.map((b) => {
  const d = split(b);
  return { ...d, id: blake3(concatBytes(u64be(CHAIN_ID), d.pk, d.content)) };
});

let ok = 0;
const rawMs = timeRuns(5, () => {
  for (const p of pre) if (nodeVerify(null, p.id, nodeKey(p.pk), p.sig)) ok++;
});
const blakeMs = timeRuns(5, () => {
  for (const p of pre) blake3(concatBytes(u64be(CHAIN_ID), p.pk, p.content));
});
const nativeMs = timeRuns(5, () => {
  for (const b of wire) {
    if (SignedOperation.fromBytes(b, CHAIN_ID).verifySignature()) ok++;
  }
});
const NOBLE_N = 400;
const nobleMs = timeRuns(3, () => {
  for (let i = 0; i < NOBLE_N; i++) {
    const d = split(wire[i]!);
    const id = blake3(concatBytes(u64be(CHAIN_ID), d.pk, d.content));
    if (ed25519.verify(d.sig, id, d.pk.subarray(1))) ok++;
  }
});
if (ok === 0) throw new Error("no signature verified: the benchmark is broken");

const perSec = (n: number, ms: number) => Math.round((n / ms) * 1000);
const cpu = os.cpus()[0]?.model ?? "unknown cpu";
console.log(
  `machine: ${cpu}, ${os.cpus().length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`,
);
console.log(`raw crypto.verify (baseline, 1 core):        ${perSec(N_OPS, rawMs)} verifies/s`);
console.log(`blake3 operation id alone:                   ${perSec(N_OPS, blakeMs)} ids/s`);
console.log(`SignedOperation.fromBytes + verifySignature: ${perSec(N_OPS, nativeMs)} ops/s`);
console.log(`decode + id + verify, @noble/curves Ed25519: ${perSec(NOBLE_N, nobleMs)} ops/s`);
console.log(
  `ratio (decode+verify time / raw verify time): ${(nativeMs / rawMs).toFixed(3)}× (target ≤ 1.2×)`,
);
console.log(
  `the node checks with: ${ED25519_BACKEND}${ED25519_BACKEND === "libsodium" ? " (OpenSSL deciding what it refuses)" : ""}`,
);
