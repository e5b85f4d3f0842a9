// Signatures already checked, by the id of what they sign: the verifier's memory of "this id with these
// exact signature bytes passed".

/** A raw Ed25519 signature (models' `SIGNATURE_SIZE` counts the version byte too). */
const RAW_SIGNATURE_SIZE = 64;
/** Slots per chunk of the slab (256 KiB): a cache that never fills allocates only what it uses. */
const CHUNK = 4096;

/**
 * The (key, signature) pairs of the last `capacity` additions. A signature's 64 bytes are copied into a slot of a
 * slab the cache owns; the key maps to its slot and each slot names the key it holds. So an entry is a
 * `Map` entry and 64 bytes, no object of its own: the verifier of a node under load remembers 200 000
 * of them for minutes, and each object more is one more for every garbage collection to trace (holding the
 * operation's own signature array instead kept one typed array and its buffer per entry alive after the
 * operation itself was gone).
 *
 * Slots are taken in turn (a ring): an addition takes the next slot and the key that held it is forgotten,
 * so the oldest entry goes first; a key added again moves to the next slot with its new signature (its old
 * slot stays empty until the ring comes round: a key is remembered while it was added among the last
 * `capacity` additions).
 */
export class SignatureCache {
  private readonly slotOf = new Map<string, number>();
  private readonly owners: (string | undefined)[] = [];
  private readonly chunks: Uint8Array[] = [];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1))
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.slotOf.size;
  }

  /** Whether `key` was added with exactly these signature bytes (and is still remembered). */
  has(key: string, signature: Uint8Array): boolean {
    const slot = this.slotOf.get(key);
    if (slot === undefined || signature.length !== RAW_SIGNATURE_SIZE) return false;
    const chunk = this.chunks[Math.floor(slot / CHUNK)]!;
    const at = (slot % CHUNK) * RAW_SIGNATURE_SIZE;
    // compared in place: `bytesEqual` would need a view of the slot, one object per check
    for (let i = 0; i < RAW_SIGNATURE_SIZE; i++) if (chunk[at + i] !== signature[i]) return false;
    return true;
  }

  /** Remembers that `key` passed with `signature` (64 bytes), as the newest entry. */
  add(key: string, signature: Uint8Array): void {
    if (signature.length !== RAW_SIGNATURE_SIZE)
      throw new RangeError(`a signature is ${RAW_SIGNATURE_SIZE} bytes, got ${signature.length}`);
    const held = this.slotOf.get(key);
    if (held !== undefined) this.owners[held] = undefined;
    const slot = this.next;
    this.next = (slot + 1) % this.capacity;
    const previous = this.owners[slot];
    if (previous !== undefined) this.slotOf.delete(previous);
    this.owners[slot] = key;
    this.slotOf.set(key, slot);
    const c = Math.floor(slot / CHUNK);
    this.chunks[c] ??= new Uint8Array(Math.min(CHUNK, this.capacity - c * CHUNK) * RAW_SIGNATURE_SIZE);
    this.chunks[c].set(signature, (slot % CHUNK) * RAW_SIGNATURE_SIZE);
  }
}
