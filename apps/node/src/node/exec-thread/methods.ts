// The execution thread's methods, by name: what the node's thread may ask of it (typed on both sides).

import { OperationId } from "@massa-ts/models";
import type { HostInit } from "./host.js";
import { ExecutionHost } from "./host.js";
import * as q from "./queries.js";
import { type CycleInfoW, cycleInfoW, type SlotW, slotOf, slotW, type TickCommand } from "./wire.js";

/** A bootstrap part as it crosses threads, with the state's fingerprint and size. */
export interface BootstrapPartW {
  readonly slot: SlotW;
  readonly entries: [Uint8Array, Uint8Array][];
  readonly updates: [Uint8Array, Uint8Array | null][];
  readonly cursor: { readonly slot?: SlotW; readonly lastKey?: Uint8Array; readonly finished?: boolean };
  readonly fingerprint: Uint8Array;
  readonly records: number;
}

export interface CursorW {
  readonly slot?: SlotW;
  readonly lastKey?: Uint8Array;
  readonly finished?: boolean;
}

let host: ExecutionHost | undefined;
const h = (): ExecutionHost => {
  if (!host) throw new Error("the execution thread is not open");
  return host;
};

export const methods = {
  async open(init: HostInit) {
    const o = await ExecutionHost.open(init);
    host = o.host;
    return o.opened;
  },
  tick: (cmd: TickCommand) => h().tick(cmd),
  balances: (addresses: readonly string[]) => q.balances(h(), addresses),
  addresses: (addresses: readonly string[]) => q.addressRows(h(), addresses),
  datastoreEntries: (reqs: readonly (readonly [string, Uint8Array])[]) => q.datastoreEntries(h(), reqs),
  bytecodes: (reqs: readonly (readonly [string, boolean])[]) => q.bytecodes(h(), reqs),
  datastoreKeys: (reqs: readonly q.KeysQuery[]) => q.datastoreKeys(h(), reqs),
  transfers: (slots: readonly (readonly [SlotW, string])[]) => q.transfers(h(), slots),
  events: (filter: q.EventFilterW) => q.events(h(), filter),
  readOnly: (req: q.ReadOnlyRequestW) => q.readOnly(h(), req),
  stakers: (cycle: number) => q.stakers(h(), cycle),
  bootstrapPart(cursor: CursorW, maxBytes: number): BootstrapPartW {
    const fs = h().fs;
    const part = fs.bootstrapPart(
      {
        ...(cursor.slot ? { slot: slotOf(cursor.slot) } : {}),
        ...(cursor.lastKey ? { lastKey: cursor.lastKey } : {}),
        ...(cursor.finished !== undefined ? { finished: cursor.finished } : {}),
      },
      maxBytes,
    );
    const c = part.cursor;
    return {
      slot: slotW(part.slot),
      entries: part.entries,
      updates: part.updates,
      cursor: {
        ...(c.slot ? { slot: slotW(c.slot) } : {}),
        ...(c.lastKey ? { lastKey: c.lastKey } : {}),
        ...(c.finished !== undefined ? { finished: c.finished } : {}),
      },
      fingerprint: fs.stateHash.fingerprint(),
      records: fs.approxRecordCount(),
    };
  },
  /** One address's balance in nano (null: no such address), final or candidate. */
  balance: (address: string, isFinal: boolean) => q.balance(h(), address, isFinal),
  /** A cycle of the final state's PoS history (null: not in it). */
  cycleInfo(cycle: number): CycleInfoW | null {
    const info = h().fs.cycleInfo(cycle);
    return info ? cycleInfoW(info) : null;
  },
  /**
   * What execution and the final state themselves say of operations (the mirror's reference, for tests):
   * whether the final state holds each as executed, and execution's status of it.
   */
  operationStatuses(ids: readonly string[]) {
    const { fs, execution } = h();
    return ids.map((text) => {
      const id = OperationId.fromString(text);
      const st = execution.operationStatus(id);
      return {
        finalExecuted: fs.isExecuted(id),
        status: st ? { success: st.success, final: st.final } : null,
      };
    });
  },
  /** Figures of the final state (tests and tools). */
  stateInfo() {
    const fs = h().fs;
    return { ledgerEntries: fs.countLedgerEntries(), records: fs.approxRecordCount() };
  },
  /** The state hash computed again by scanning the whole state (checks; O(state)). */
  recomputeHash: () => h().fs.recomputeHash().bytes.slice(),
  drain: () => h().fs.drain(),
  async close() {
    await host?.close();
    host = undefined;
  },
};

export type Methods = typeof methods;
export type MethodName = keyof Methods;

/** A request to the execution thread, and its answer. */
export interface Request {
  readonly id: number;
  readonly method: MethodName;
  readonly args: unknown[];
}
export type Reply =
  | { readonly id: number; readonly value: unknown }
  | { readonly id: number; readonly error: { readonly code?: string; readonly message: string } };

/** Runs one request (in the execution thread, or in the caller's for tests). */
export async function dispatch(r: Request): Promise<Reply> {
  try {
    const f = methods[r.method] as (...args: unknown[]) => unknown;
    return { id: r.id, value: await f(...r.args) };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return {
      id: r.id,
      error: { ...(err.code ? { code: err.code } : {}), message: err.message ?? String(e) },
    };
  }
}
