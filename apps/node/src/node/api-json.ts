// What the API's handlers share: parameter parsing (zod, positional as massa-web3 sends them) and the JSON
// shapes of Massa's API for operations, headers and slots.
import {
  Address,
  encodeBs58Check,
  type SignedBlockHeader,
  type SignedEndorsement,
  type SignedOperation,
  type Slot,
} from "@massa-ts/models";
import { z } from "zod";
import { type Json, RpcCode, RpcError } from "./rpc-server.js";

/** An upper bound of an operation's JSON: its bytes become number arrays of at most 4 characters a byte. */
export const operationJsonBound = (op: SignedOperation): number => 4 * op.serializedSize + 1024;

export const slotJson = (s: Slot): Json => ({ period: s.period, thread: s.thread });
export const bytesJson = (b: Uint8Array): Json => Array.from(b);
export const zSlot = z.object({ period: z.number().int().min(0), thread: z.number().int().min(0).max(255) });
export const zAddress = z.string().transform((s, ctx) => {
  try {
    return Address.fromString(s);
  } catch (e) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
    return z.NEVER;
  }
});
export const zBytes = z
  .array(z.number().int().min(0).max(255))
  .max(10_000_000)
  .transform((a) => Uint8Array.from(a));
export const zList = <T extends z.ZodTypeAny>(t: T) => z.array(t).max(128, "at most 128 items per list");

/** Parses `params` (positional, as massa-web3 sends them) with a zod schema; errors say what is wrong. */
export function arg<T extends z.ZodTypeAny>(params: unknown[], schema: T, name: string): z.infer<T> {
  const r = schema.safeParse(params[0]);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new RpcError(
      RpcCode.invalidParams,
      `invalid ${name}${i.path.length ? ` at ${i.path.join(".")}` : ""}: ${i.message}`,
    );
  }
  return r.data;
}

/** Massa's `Endorsement` JSON (inside a header, and in `get_endorsements`). */
export function endorsementJson(e: SignedEndorsement): Json {
  return {
    content: {
      slot: slotJson(e.content.slot),
      index: e.content.index,
      endorsed_block: e.content.endorsedBlock.toString(),
    },
    signature: e.signature.toString(),
    content_creator_pub_key: e.creator.toString(),
    content_creator_address: e.creatorAddress.toString(),
    id: e.id.toString(),
  };
}

export function operationJson(op: SignedOperation): Json {
  const p = op.content.payload;
  let inner: Json;
  switch (p.type) {
    case "Transaction":
      inner = { Transaction: { recipient_address: p.recipient.toString(), amount: p.amount.toString() } };
      break;
    case "RollBuy":
      inner = { RollBuy: { roll_count: Number(p.rollCount) } };
      break;
    case "RollSell":
      inner = { RollSell: { roll_count: Number(p.rollCount) } };
      break;
    case "ExecuteSC":
      inner = {
        ExecuteSC: {
          data: bytesJson(p.bytecode),
          max_gas: Number(p.maxGas),
          max_coins: p.maxCoins.toString(),
          datastore: p.datastore.map(([k, v]) => [bytesJson(k), bytesJson(v)]),
        },
      };
      break;
    case "CallSC":
      inner = {
        CallSC: {
          target_addr: p.target.toString(),
          target_func: p.functionName,
          param: bytesJson(p.parameter),
          max_gas: Number(p.maxGas),
          coins: p.coins.toString(),
        },
      };
      break;
  }
  return {
    content: { fee: op.content.fee.toString(), expire_period: op.content.expirePeriod, op: inner },
    signature: op.signature.toString(),
    content_creator_pub_key: op.creator.toString(),
    content_creator_address: op.creatorAddress.toString(),
    id: op.id.toString(),
  };
}

export function headerJson(h: SignedBlockHeader): Json {
  const c = h.content;
  return {
    content: {
      current_version: c.currentVersion,
      announced_version: c.announcedVersion ?? null,
      slot: slotJson(c.slot),
      parents: c.parents.map(String),
      // a Massa Hash: base58check, no prefix
      operation_merkle_root: encodeBs58Check(c.operationMerkleRoot),
      endorsements: c.endorsements.map(endorsementJson),
      denunciations: [],
    },
    signature: h.signature.toString(),
    content_creator_pub_key: h.creator.toString(),
    content_creator_address: h.creatorAddress.toString(),
    id: h.id.toString(),
  };
}
