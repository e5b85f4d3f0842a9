// The secure channel a handshake sets up: each side sends a hello (node key, nonce, ephemeral X25519 key),
// signs the transcript of both hellos with its node key, and from then on every frame is sealed with
// ChaCha20-Poly1305 under keys derived from the X25519 secret and the transcript.
//
// Why this shape: a signature over only the other side's nonce can be relayed (a man in the middle forwards
// B's nonce to A and A's proof to B, then speaks as A). Here the signature covers both node keys, both
// nonces, both ephemeral keys and the roles, so a relayed handshake either fails or leaves the relayer with
// a channel whose keys it does not have: it can forward bytes, not read, change or inject a frame.
import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from "node:crypto";
import { blake3, concatBytes, type PublicKey, u64be } from "@massa-ts/models";

const te = new TextEncoder();
const DOMAIN = te.encode("massa-ts p2p channel v1");
/** Bytes a sealed frame adds: the Poly1305 tag. */
export const SEAL_OVERHEAD = 16;

/** What each side says first, and what the transcript is built from. */
export interface HelloFields {
  readonly publicKey: PublicKey;
  readonly nonce: Uint8Array;
  /** Raw X25519 public key, 32 bytes. */
  readonly ephemeral: Uint8Array;
}

export type Role = "initiator" | "responder";

/** A one-connection X25519 key pair. */
export class EphemeralKey {
  readonly publicRaw: Uint8Array;
  private readonly privateKey: KeyObject;

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync("x25519");
    this.privateKey = privateKey;
    this.publicRaw = new Uint8Array(Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url"));
  }

  /** The X25519 secret with the other side's raw public key; throws on a key that gives no secret. */
  shared(theirRaw: Uint8Array): Uint8Array {
    const publicKey = createPublicKey({
      key: { kty: "OKP", crv: "X25519", x: Buffer.from(theirRaw).toString("base64url") },
      format: "jwk",
    });
    const s = new Uint8Array(diffieHellman({ privateKey: this.privateKey, publicKey }));
    // a low-order point gives all zeros: a secret the other side did not contribute to
    if (s.every((b) => b === 0)) throw new Error("ephemeral key of low order");
    return s;
  }
}

/** Hash of both hellos, the dialing side's first, under the chain id. */
export function transcriptHash(chainId: bigint, initiator: HelloFields, responder: HelloFields): Uint8Array {
  const part = (h: HelloFields) => [h.publicKey.toBytes(), h.nonce, h.ephemeral];
  return blake3(concatBytes(DOMAIN, u64be(chainId), ...part(initiator), ...part(responder)));
}

/** What a side signs with its node key: the transcript and its own role (so a proof cannot be reflected). */
export function proofHash(transcript: Uint8Array, signer: Role): Uint8Array {
  return blake3(concatBytes(DOMAIN, te.encode(signer === "initiator" ? "proof:i" : "proof:r"), transcript));
}

/** Seals or opens the frames of one direction; nonces count frames, so a frame cannot be replayed or moved. */
export class FrameCipher {
  private counter = 0n;

  constructor(private readonly key: Uint8Array) {}

  private nextNonce(): Buffer {
    const n = Buffer.alloc(12);
    n.writeBigUInt64LE(this.counter++, 4);
    return n;
  }

  seal(plain: Uint8Array): Buffer {
    const c = createCipheriv("chacha20-poly1305", this.key, this.nextNonce(), {
      authTagLength: SEAL_OVERHEAD,
    });
    return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  }

  /** The plaintext, or `undefined` when the frame was not sealed by the other side of this channel. */
  open(sealed: Uint8Array): Uint8Array | undefined {
    if (sealed.length < SEAL_OVERHEAD) return undefined;
    const d = createDecipheriv("chacha20-poly1305", this.key, this.nextNonce(), {
      authTagLength: SEAL_OVERHEAD,
    });
    d.setAuthTag(sealed.subarray(sealed.length - SEAL_OVERHEAD));
    try {
      return new Uint8Array(
        Buffer.concat([d.update(sealed.subarray(0, sealed.length - SEAL_OVERHEAD)), d.final()]),
      );
    } catch {
      return undefined;
    }
  }
}

/** The two directions' ciphers, keys derived from the X25519 secret salted with the transcript. */
export function channelCiphers(
  shared: Uint8Array,
  transcript: Uint8Array,
  role: Role,
): { send: FrameCipher; receive: FrameCipher } {
  const key = (info: string) => new Uint8Array(hkdfSync("sha256", shared, transcript, info, 32));
  const i2r = key("massa-ts p2p initiator to responder");
  const r2i = key("massa-ts p2p responder to initiator");
  return role === "initiator"
    ? { send: new FrameCipher(i2r), receive: new FrameCipher(r2i) }
    : { send: new FrameCipher(r2i), receive: new FrameCipher(i2r) };
}
