// The identity a data dir is made for (chain id, thread count, periods per cycle, history length): written
// at its first open, checked at every later one, read back to open an existing dir.
import { existsSync } from "node:fs";
import { ByteReader, ByteWriter, bytesEqual, toHex } from "@massa-ts/models";
import { type Database, open, type RootDatabase } from "lmdb";
import { FinalStateError } from "./errors.js";

const META_IDENTITY = Uint8Array.from([0x69]); // "i": chain id and thread count this dir was made for

/** What a data dir is made for: another chain or shape must not reuse it. */
export interface StateIdentity {
  readonly chainId: bigint;
  readonly threadCount: number;
  readonly periodsPerCycle: number;
  readonly historyLength: number;
}

function identityBytes(
  chainId: bigint,
  threadCount: number,
  periodsPerCycle: number,
  historyLength: number,
): Uint8Array {
  return new ByteWriter(32)
    .u64be(chainId)
    .u8(threadCount)
    .varint(periodsPerCycle)
    .varint(historyLength)
    .finish();
}

/**
 * At open: records `id` in a new data dir, or checks it against the recorded one. A read-only open of a dir
 * without one is FINAL_STATE_EMPTY, another identity FINAL_STATE_OTHER_CHAIN (the environment is closed).
 */
export function checkIdentity(
  root: RootDatabase,
  meta: Database<Uint8Array, Uint8Array>,
  path: string,
  readOnly: boolean | undefined,
  id: StateIdentity,
): void {
  const identity = identityBytes(id.chainId, id.threadCount, id.periodsPerCycle, id.historyLength);
  const stored = meta.getBinary(META_IDENTITY);
  if (stored === undefined) {
    if (readOnly) {
      root.close();
      throw new FinalStateError("FINAL_STATE_EMPTY", `${path} holds no final state`);
    }
    meta.transactionSync(() => meta.putSync(Buffer.from(META_IDENTITY), Buffer.from(identity)));
  } else if (!bytesEqual(new Uint8Array(stored), identity)) {
    root.close();
    throw new FinalStateError(
      "FINAL_STATE_OTHER_CHAIN",
      `${path} holds the final state of another chain or config (stored ${toHex(new Uint8Array(stored))}, expected ${toHex(identity)}); use another --data-dir`,
    );
  }
}

/**
 * Reads the identity recorded in an existing data dir and calls `openStore` with it; a missing dir or
 * identity is FINAL_STATE_EMPTY, a bad record (or any other failure of `openStore` that is not a
 * `FinalStateError`) FINAL_STATE_CORRUPT.
 */
export async function withStoredIdentity<T>(
  path: string,
  openStore: (id: StateIdentity) => Promise<T>,
): Promise<T> {
  if (!existsSync(path)) throw new FinalStateError("FINAL_STATE_EMPTY", `${path} does not exist`);
  const root = open({ path, readOnly: true, maxDbs: 4 });
  let identity: Buffer | undefined;
  try {
    const meta = root.openDB<Uint8Array, Uint8Array>({
      name: "meta",
      keyEncoding: "binary",
      encoding: "binary",
    });
    identity = meta.getBinary(META_IDENTITY);
  } finally {
    await root.close();
  }
  if (identity === undefined)
    throw new FinalStateError("FINAL_STATE_EMPTY", `${path} holds no massa-ts final state`);
  const r = new ByteReader(new Uint8Array(identity));
  try {
    const chainId = r.readU64BE("chain id");
    const threadCount = r.readU8("thread count");
    const periodsPerCycle = r.readVarintNumber("periods per cycle");
    const historyLength = r.readVarintNumber("history length");
    return await openStore({ chainId, threadCount, periodsPerCycle, historyLength });
  } catch (e) {
    if (e instanceof FinalStateError) throw e;
    throw new FinalStateError(
      "FINAL_STATE_CORRUPT",
      `${path}: bad identity record (${(e as Error).message})`,
    );
  }
}
