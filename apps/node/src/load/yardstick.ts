// The yardstick every benchmark (and `massa-ts load`) states its figures against (machines here vary 2× from day to day):
// one core's Ed25519 `crypto.verify` rate, measured in the same run.
import { generateKeyPairSync, sign, verify } from "node:crypto";

/** Ed25519 verifications per second on this thread, over about `ms` milliseconds. */
export function verifyRate(ms = 1000): number {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const msg = Buffer.alloc(32, 7);
  const sig = sign(null, msg, privateKey);
  for (let i = 0; i < 200; i++) verify(null, msg, publicKey, sig); // warm up
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 100; i++) verify(null, msg, publicKey, sig);
    n += 100;
  }
  return Math.round(n / ((performance.now() - start) / 1000));
}

/** `value` per second as a ratio to the yardstick, for the README. */
export function ratio(value: number, yardstick: number): string {
  return `${(value / yardstick).toFixed(3)}× the yardstick`;
}
