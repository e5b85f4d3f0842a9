// Ed25519 checks and signatures: libsodium where its binary loads, Node's OpenSSL to decide what it refuses.
import { createPublicKey, type KeyObject, verify as nodeVerify } from "node:crypto";
import { createRequire } from "node:module";
import { BoundedMap } from "./bounded.js";

/**
 * The part of sodium-native (libsodium's bindings, prebuilt for the usual platforms) used here. On this
 * project's machines libsodium checks an Ed25519 signature ~2.3× faster than OpenSSL's `crypto.verify` and
 * signs ~2.2× faster.
 */
interface Sodium {
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
  crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
}

function loadSodium(): Sodium | null {
  if (process.env.MASSA_TS_ED25519 === "openssl") return null;
  try {
    return createRequire(import.meta.url)("sodium-native") as Sodium;
  } catch {
    return null; // no prebuilt binary for this platform: OpenSSL does everything
  }
}

const sodium = loadSodium();

/** Which library checks signatures first: `libsodium` (OpenSSL deciding what it refuses) or `openssl` alone. */
export const ED25519_BACKEND: "libsodium" | "openssl" = sodium ? "libsodium" : "openssl";

const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/**
 * Node's KeyObjects by raw public key (hex), null for a key OpenSSL cannot load: building one costs about a
 * verification, and they are needed again for every signature of the same key libsodium refuses (or, without
 * libsodium, for every signature). Bounded, oldest first out.
 */
const keyObjects = new BoundedMap<string, KeyObject | null>(20_000);

/** Node's KeyObject for a raw 32-byte Ed25519 public key (cached); null if it is not a point OpenSSL accepts. */
export function ed25519KeyObject(raw: Uint8Array): KeyObject | null {
  const k = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("hex");
  let o = keyObjects.get(k);
  if (o === undefined) {
    try {
      o = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
    } catch {
      o = null; // not a point on the curve: every signature by it is invalid
    }
    keyObjects.set(k, o);
  }
  return o;
}

/** Signatures libsodium refused that OpenSSL then decided (this thread), and how many it accepted. */
export const ed25519Fallbacks = { checked: 0, accepted: 0 };

/**
 * Whether `signature` (64 bytes) by `publicKey` (32 bytes) over `message` is valid, exactly as OpenSSL's
 * Ed25519 (`crypto.verify`) decides.
 *
 * libsodium accepts a subset of what OpenSSL accepts: both require S < L, hash `R ‖ A ‖ M` with SHA-512 and
 * compare the encoding of [S]B − [h]A with R, and libsodium also refuses small-order or non-canonical keys
 * and small-order R (which no honest signer produces, but OpenSSL, like Massa's ed25519-dalek `verify`,
 * accepts). So a signature libsodium accepts is valid, and one it refuses goes to OpenSSL: every node
 * accepts the same signatures whichever library its platform has, at libsodium's speed for honest ones.
 */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (sodium?.crypto_sign_verify_detached(signature, message, publicKey)) return true;
  if (sodium) ed25519Fallbacks.checked++;
  const key = ed25519KeyObject(publicKey);
  const ok = key !== null && nodeVerify(null, message, key, signature);
  if (ok && sodium) ed25519Fallbacks.accepted++;
  return ok;
}

/**
 * A signer for a 32-byte Ed25519 seed, or null without libsodium. Ed25519 signatures are deterministic
 * (RFC 8032): the bytes equal OpenSSL's for the same seed and message.
 */
export function sodiumSigner(seed: Uint8Array): ((message: Uint8Array) => Uint8Array) | null {
  if (!sodium) return null;
  const publicKey = new Uint8Array(32);
  const secretKey = new Uint8Array(64);
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed);
  return (message) => {
    const signature = new Uint8Array(64);
    sodium.crypto_sign_detached(signature, message, secretKey);
    return signature;
  };
}
