/**
 * The floor of settling a transfer in a node's steady state: the costs a settle cannot avoid on this
 * design, each measured alone in the same run as the bench, on a store of the bench's size (100 000
 * ledger-sized keys, random order). A transfer changes its recipient's balance (the old value read from the
 * B-tree and hashed out, the new one hashed in, written), adds its executed-operation record (hashed in,
 * written) and, as every settled slot prunes the records that expired ten periods before, removes about one
 * (read, hashed out, deleted): two reads, four entry hashes, three writes queued to lmdb's write thread.
 * Everything a settle spends beyond their sum is the overlay, the write log, keys, maps and the collector's
 * work. Beside them, the alternative those exist for: a slot's writes in one synchronous,
 * durable B-tree transaction on the settling thread (no journal, no overlay, no background apply).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { loadStateHasher, StateHash } from "@massa-ts/final-state";
import { balanceKey } from "@massa-ts/ledger";
import { Address, blake3 } from "@massa-ts/models";
import { open } from "lmdb";

export interface SettleFloor {
  /** A random read of a balance-sized value from the B-tree (lmdb's `getBinaryFast`, no copy), µs. */
  readonly readUs: number;
  /** One entry's BLAKE3-XOF-512 XORed into a state hash (the WebAssembly kernel, batched), µs. */
  readonly hashUs: number;
  /** One write queued to lmdb's write thread (`put`: this thread's share, the commit not counted), µs. */
  readonly putUs: number;
  /** Two reads, four hashes and three writes: what a transfer's settle cannot do without, µs. */
  readonly perTransferUs: number;
  /**
   * The alternative to the journal and its overlay: 10 000 random writes (a slot of 5 000 transfers) in one
   * synchronous, durable B-tree transaction on this thread, its commit included, µs a write.
   */
  readonly syncWriteUs: number;
}

const KEYS = 100_000;

export async function measureSettleFloor(): Promise<SettleFloor> {
  await loadStateHasher();
  const dir = mkdtempSync(join(os.tmpdir(), "massa-ts-settle-floor-"));
  const root = open({ path: dir, maxDbs: 1 });
  try {
    const db = root.openDB<Uint8Array, Uint8Array>({
      name: "state",
      keyEncoding: "binary",
      encoding: "binary",
      compression: false,
    });
    // the ledger's own balance keys of 100 000 user addresses → a 5-byte varint
    const keys = Array.from({ length: KEYS }, (_, i) =>
      balanceKey(new Address("user", blake3(Uint8Array.of(i & 0xff, (i >> 8) & 0xff, i >> 16)))),
    );
    const value = Buffer.from([0x80, 0x94, 0xeb, 0xdc, 0x03]);
    await db.transaction(() => {
      for (const k of keys) db.put(k, value);
    });
    const order = Array.from({ length: KEYS }, (_, i) => (i * 7919) % KEYS);
    const perOp = (n: number, f: (i: number) => void) => {
      for (let i = 0; i < 10_000; i++) f(i); // compiled before the clock
      const t = performance.now();
      for (let i = 0; i < n; i++) f(i);
      return ((performance.now() - t) * 1000) / n;
    };
    let sink = 0;
    const readUs = perOp(KEYS, (i) => {
      sink += db.getBinaryFast(keys[order[i]!]!)?.length ?? 0;
    });
    const h = new StateHash();
    const hashUs = perOp(KEYS, (i) => h.toggle(keys[order[i]!]!, value));
    sink += h.bytes[0]!;
    const next = Buffer.from([0x81, 0x94, 0xeb, 0xdc, 0x03]);
    const putUs = perOp(KEYS, (i) => {
      void db.put(keys[order[i]!]!, next);
    });
    await db.put(keys[0]!, next); // the queued writes committed before the store closes
    const slotWrites = 10_000;
    const rounds = 5;
    const t = performance.now();
    for (let r = 0; r < rounds; r++) {
      const v = Buffer.from([0x82 + r, 0x94, 0xeb, 0xdc, 0x03]);
      db.transactionSync(() => {
        for (let i = 0; i < slotWrites; i++) db.putSync(keys[order[(r * slotWrites + i) % KEYS]!]!, v);
      });
    }
    const syncWriteUs = ((performance.now() - t) * 1000) / (rounds * slotWrites);
    if (sink < 0) throw new Error("unreachable");
    return { readUs, hashUs, putUs, perTransferUs: 2 * readUs + 4 * hashUs + 3 * putUs, syncWriteUs };
  } finally {
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
