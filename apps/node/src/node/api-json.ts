// The JSON shapes of Massa's API that handlers share: operations, headers, endorsements, slots, bytes.

import type { ExecutionEvent } from "@massa-ts/execution";
import {
  datastoreMap,
  encodeBs58Check,
  type SignedBlockHeader,
  type SignedEndorsement,
  type SignedOperation,
  type Slot,
} from "@massa-ts/models";
import type { Json } from "./rpc-server.js";

/** An upper bound of an operation's JSON: its bytes become number arrays of at most 4 characters a byte. */
export const operationJsonBound = (op: SignedOperation): number => 4 * op.serializedSize + 1024;

export const slotJson = (s: Slot): Json => ({ period: s.period, thread: s.thread });
export const bytesJson = (b: Uint8Array): Json => Array.from(b);
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

/** An operation's JSON never changes: made once per operation object (polling clients ask again and again). */
const opJsonCache = new WeakMap<SignedOperation, Json>();

export function operationJson(op: SignedOperation): Json {
  let j = opJsonCache.get(op);
  if (!j) {
    j = makeOperationJson(op);
    opJsonCache.set(op, j);
  }
  return j;
}

function makeOperationJson(op: SignedOperation): Json {
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
          datastore: datastoreMap(p.datastore).map(([k, v]) => [bytesJson(k), bytesJson(v)]),
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

/** Massa's `SCOutputEvent` JSON. */
export function eventJson(e: ExecutionEvent): Json {
  return {
    context: {
      slot: slotJson(e.slot),
      block: e.blockId?.toString() ?? null,
      read_only: e.readOnly === true,
      index_in_slot: e.indexInSlot,
      call_stack: e.callStack.map(String),
      origin_operation_id: e.originOperationId?.toString() ?? null,
      is_final: e.isFinal,
      is_error: e.isError,
      deferred_call_id: null,
      async_msg_id: null,
    },
    data: e.data,
  };
}
