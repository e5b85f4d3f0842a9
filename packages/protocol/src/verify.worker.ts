/**
 * Piscina task: verifies a batch of Ed25519 signatures off the main thread. Inputs are packed columns
 * (32-byte public keys, 32-byte messages, 64-byte signatures); the answer is one byte per item (1 = valid).
 * libsodium checks first, OpenSSL decides what it refuses (`@massa-ts/models/ed25519`); the worker loads
 * nothing else, so it starts fast and holds little.
 */
import { verifyEd25519 } from "@massa-ts/models/ed25519";
import type { VerifyTask } from "./verify-types.js";

export default function verifyTask(task: VerifyTask): Uint8Array {
  const n = task.count;
  const out = new Uint8Array(n);
  const pk = Buffer.from(task.keys.buffer, task.keys.byteOffset, task.keys.byteLength);
  const msg = Buffer.from(task.messages.buffer, task.messages.byteOffset, task.messages.byteLength);
  const sig = Buffer.from(task.signatures.buffer, task.signatures.byteOffset, task.signatures.byteLength);
  for (let i = 0; i < n; i++) {
    const ok = verifyEd25519(
      pk.subarray(i * 32, i * 32 + 32),
      msg.subarray(i * 32, i * 32 + 32),
      sig.subarray(i * 64, i * 64 + 64),
    );
    out[i] = ok ? 1 : 0;
  }
  return out;
}
