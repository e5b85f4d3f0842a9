/** One batch for the verification worker: `count` items in packed columns. */
export interface VerifyTask {
  readonly count: number;
  /** count × 32-byte raw Ed25519 public keys. */
  readonly keys: Uint8Array;
  /** count × 32-byte messages (in Massa, always a hash). */
  readonly messages: Uint8Array;
  /** count × 64-byte raw signatures. */
  readonly signatures: Uint8Array;
}
