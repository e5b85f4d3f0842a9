// The legacy AssemblyScript ABI (module "massa", and "env"'s abort, seed, Date.now, console.*, trace,
// process.exit): each host function charges its gas from Massa's table before it runs, reads its
// arguments from the contract's memory, asks the host, and writes its result back the way Massa's
// runtime does (strings, ArrayBuffers; key lists as u32 count then u8-length-prefixed keys; address lists
// as a JSON string array).

import { Address, blake3, PublicKey, Signature } from "@massa-ts/models";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { AbiError, type AsMemory } from "./as-memory.js";
import type { GasCosts } from "./gas-costs.js";
import { type Host, UnsupportedError } from "./host.js";

/** What the ABI needs of the running instance (filled in once it is instantiated). */
export interface AbiContext {
  readonly host: Host;
  readonly costs: GasCosts;
  memory?: AsMemory;
  gas?: WebAssembly.Global;
  /** False while the start function runs: host calls are refused during instantiation. */
  enabled: boolean;
  /** A nested call into another contract's function, with the gas left; returns its result. */
  call(
    bytecode: Uint8Array,
    fn: string,
    param: Uint8Array,
    gas: bigint,
  ): { ret: Uint8Array; remaining: bigint };
  functionExists(bytecode: Uint8Array, fn: string): boolean;
}

/** Massa's MAX_OPERATION_DATASTORE_ENTRY_COUNT and the datastore's key length bound for key lists. */
const MAX_KEYS = 128;

/** Serializes keys as Massa's `ser_bytearray_vec`: nothing when empty, else u32 LE count, then u8 len ‖ key. */
export function serializeKeys(keys: readonly Uint8Array[], max = Number.MAX_SAFE_INTEGER): Uint8Array {
  if (keys.length === 0) return new Uint8Array();
  if (keys.length > max) throw new AbiError("Too many entries in the datastore");
  let size = 4;
  for (const k of keys) {
    if (k.length > 255) throw new AbiError("Some Datastore keys are too long");
    size += 1 + k.length;
  }
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, keys.length, true);
  let at = 4;
  for (const k of keys) {
    out[at++] = k.length;
    out.set(k, at);
    at += k.length;
  }
  return out;
}

export function buildImports(c: AbiContext): WebAssembly.Imports {
  const mem = () => {
    if (!c.memory) throw new AbiError("ABI calls are not available during instantiation");
    return c.memory;
  };
  /** Charges `name`'s gas; refuses during instantiation. */
  const charge = (name: string) => {
    if (!c.enabled) throw new AbiError("ABI calls are not available during instantiation");
    const cost = c.costs.abi[name];
    if (cost === undefined) throw new AbiError(`no gas cost for ABI ${name}`);
    const left = c.gas!.value as bigint;
    if (left < BigInt(cost)) {
      c.gas!.value = 0n;
      throw new OutOfGas(`Not enough gas, limit reached at: ${name}`);
    }
    c.gas!.value = left - BigInt(cost);
  };
  const str = (p: number) => mem().string(p);
  const buf = (p: number) => mem().bytes(p);
  const retBytes = (b: Uint8Array) => mem().newBytes(b);
  const retString = (s: string) => mem().newString(s);
  const amount = (raw: bigint) => {
    if (raw < 0n) throw new AbiError("Negative raw amount.");
    return raw;
  };
  const fn = <A extends unknown[], R>(name: string, f: (...a: A) => R) => {
    return (...a: A): R => {
      charge(name);
      return f(...a);
    };
  };
  const h = c.host;

  const massa: Record<string, (...a: never[]) => unknown> = {
    assembly_script_print: fn("print", (p: number) => h.print(str(p))),
    assembly_script_call: fn("call", (a: number, f: number, p: number, coins: bigint) => {
      const address = str(a);
      const name = str(f);
      const param = buf(p);
      const bytecode = h.initCall(address, amount(coins));
      const r = c.call(bytecode, name, param, c.gas!.value as bigint);
      c.gas!.value = r.remaining;
      h.finishCall();
      return retBytes(r.ret);
    }),
    assembly_script_get_remaining_gas: fn("get_remaining_gas", () => c.gas!.value as bigint),
    assembly_script_create_sc: fn("create_sc", (b: number) => retString(h.createModule(buf(b)))),
    assembly_script_set_data: fn("set_data", (k: number, v: number) => h.setData(buf(k), buf(v))),
    assembly_script_set_data_for: fn("set_data_for", (a: number, k: number, v: number) =>
      h.setData(buf(k), buf(v), str(a)),
    ),
    assembly_script_get_data: fn("get_data", (k: number) => retBytes(h.getData(buf(k)))),
    assembly_script_get_data_for: fn("get_data_for", (a: number, k: number) =>
      retBytes(h.getData(buf(k), str(a))),
    ),
    assembly_script_delete_data: fn("delete_data", (k: number) => h.deleteData(buf(k))),
    assembly_script_delete_data_for: fn("delete_data_for", (a: number, k: number) =>
      h.deleteData(buf(k), str(a)),
    ),
    assembly_script_append_data: fn("append_data", (k: number, v: number) => h.appendData(buf(k), buf(v))),
    assembly_script_append_data_for: fn("append_data_for", (a: number, k: number, v: number) =>
      h.appendData(buf(k), buf(v), str(a)),
    ),
    assembly_script_has_data: fn("has_data", (k: number) => (h.hasData(buf(k)) ? 1 : 0)),
    assembly_script_has_data_for: fn("has_data_for", (a: number, k: number) =>
      h.hasData(buf(k), str(a)) ? 1 : 0,
    ),
    assembly_script_get_keys: fn("get_keys", (p: number) => retBytes(serializeKeys(h.getKeys(buf(p))))),
    assembly_script_get_keys_for: fn("get_keys_for", (a: number, p: number) =>
      retBytes(serializeKeys(h.getKeys(buf(p), str(a)))),
    ),
    assembly_script_get_owned_addresses: fn("get_owned_addresses", () =>
      retString(JSON.stringify(h.getOwnedAddresses())),
    ),
    assembly_script_get_call_stack: fn("get_call_stack", () => retString(JSON.stringify(h.getCallStack()))),
    assembly_script_generate_event: fn("generate_event", (p: number) => h.generateEvent(str(p))),
    assembly_script_transfer_coins: fn("transfer_coins", (to: number, raw: bigint) =>
      h.transferCoins(str(to), amount(raw)),
    ),
    assembly_script_transfer_coins_for: fn("transfer_coins_for", (from: number, to: number, raw: bigint) =>
      h.transferCoins(str(to), amount(raw), str(from)),
    ),
    assembly_script_get_balance: fn("get_balance", () => h.getBalance()),
    assembly_script_get_balance_for: fn("get_balance_for", (a: number) => h.getBalance(str(a))),
    assembly_script_hash: fn("hash", (p: number) => retBytes(blake3(buf(p)))),
    assembly_script_hash_sha256: fn("hash_sha256", (p: number) => retBytes(sha256(buf(p)))),
    assembly_script_keccak256_hash: fn("keccak256_hash", (p: number) => retBytes(keccak_256(buf(p)))),
    assembly_script_signature_verify: fn("signature_verify", (d: number, s: number, k: number) => {
      const data = new TextEncoder().encode(str(d));
      const sig = str(s);
      const key = str(k);
      try {
        return PublicKey.fromString(key).verify(blake3(data), Signature.fromString(sig)) ? 1 : 0;
      } catch {
        return 0;
      }
    }),
    assembly_script_evm_signature_verify: fn("evm_signature_verify", () => {
      throw new UnsupportedError("evm_signature_verify");
    }),
    assembly_script_evm_get_address_from_pubkey: fn("evm_get_address_from_pubkey", () => {
      throw new UnsupportedError("evm_get_address_from_pubkey");
    }),
    assembly_script_evm_get_pubkey_from_signature: fn("evm_get_pubkey_from_signature", () => {
      throw new UnsupportedError("evm_get_pubkey_from_signature");
    }),
    assembly_script_is_address_eoa: fn("is_address_eoa", (a: number) => {
      try {
        return Address.fromString(str(a)).kind === "user" ? 1 : 0;
      } catch (e) {
        throw new AbiError((e as Error).message);
      }
    }),
    assembly_script_address_from_public_key: fn("address_from_public_key", (k: number) => {
      try {
        return retString(Address.fromPublicKey(PublicKey.fromString(str(k))).toString());
      } catch (e) {
        throw new AbiError((e as Error).message);
      }
    }),
    assembly_script_validate_address: fn("validate_address", (a: number) => {
      try {
        Address.fromString(str(a));
        return 1;
      } catch {
        return 0;
      }
    }),
    assembly_script_unsafe_random: fn("unsafe_random", () => h.unsafeRandom()),
    assembly_script_get_call_coins: fn("get_call_coins", () => h.getCallCoins()),
    assembly_script_get_time: fn("get_time", () => h.getTime()),
    assembly_script_send_message: fn("send_message", () => {
      throw new UnsupportedError("asynchronous messages (send_message)");
    }),
    assembly_script_get_origin_operation_id: fn("get_origin_operation_id", () => {
      const id = h.getOriginOperationId();
      return id === undefined ? 0 : retString(id);
    }),
    assembly_script_get_current_period: fn("get_current_period", () => h.getCurrentPeriod()),
    assembly_script_get_current_thread: fn("get_current_thread", () => h.getCurrentThread()),
    assembly_script_set_bytecode: fn("set_bytecode", (b: number) => h.setBytecode(buf(b))),
    assembly_script_set_bytecode_for: fn("set_bytecode_for", (a: number, b: number) =>
      h.setBytecode(buf(b), str(a)),
    ),
    assembly_script_get_op_keys: fn("get_op_keys", () =>
      retBytes(serializeKeys(h.getOpKeys(new Uint8Array()), MAX_KEYS)),
    ),
    assembly_script_get_op_keys_prefix: fn("get_op_keys_prefix", (p: number) =>
      retBytes(serializeKeys(h.getOpKeys(buf(p)), MAX_KEYS)),
    ),
    assembly_script_has_op_key: fn("has_op_key", (k: number) =>
      retBytes(Uint8Array.of(h.hasOpKey(buf(k)) ? 1 : 0)),
    ),
    assembly_script_get_op_data: fn("get_op_data", (k: number) => retBytes(h.getOpData(buf(k)))),
    assembly_script_get_bytecode: fn("get_bytecode", () => retBytes(h.getBytecode())),
    assembly_script_get_bytecode_for: fn("get_bytecode_for", (a: number) => retBytes(h.getBytecode(str(a)))),
    assembly_script_local_call: fn("local_call", (b: number, f: number, p: number) => {
      const r = c.call(buf(b), str(f), buf(p), c.gas!.value as bigint);
      c.gas!.value = r.remaining;
      return retBytes(r.ret);
    }),
    assembly_script_local_execution: fn("local_execution", (b: number, f: number, p: number) => {
      const r = c.call(buf(b), str(f), buf(p), c.gas!.value as bigint);
      c.gas!.value = r.remaining;
      return retBytes(r.ret);
    }),
    assembly_script_caller_has_write_access: fn("caller_has_write_access", () =>
      h.callerHasWriteAccess() ? 1 : 0,
    ),
    assembly_script_function_exists: fn("function_exists", (a: number, f: number) => {
      const address = str(a);
      const name = str(f);
      return c.functionExists(h.getBytecode(address), name) ? 1 : 0;
    }),
    assembly_script_chain_id: fn("chain_id", () => h.chainId()),
    assembly_script_get_deferred_call_quote: fn("get_deferred_call_quote", () => {
      throw new UnsupportedError("deferred calls");
    }),
    assembly_script_deferred_call_register: fn("deferred_call_register", () => {
      throw new UnsupportedError("deferred calls");
    }),
    assembly_script_deferred_call_exists: fn("deferred_call_exists", () => {
      throw new UnsupportedError("deferred calls");
    }),
    assembly_script_deferred_call_cancel: fn("deferred_call_cancel", () => {
      throw new UnsupportedError("deferred calls");
    }),
  };

  const log = (level: string) =>
    fn(`console_${level.toLowerCase()}`, (p: number) => h.print(`${level}: ${str(p)}`));
  const env: Record<string, (...a: never[]) => unknown> = {
    abort: (m: number, f: number, line: number, col: number) => {
      const text = (p: number) => {
        try {
          return p === 0 ? "" : str(p);
        } catch {
          return "?";
        }
      };
      throw new AbiError(`abort with message: ${text(m)} at ${text(f)}:${line} col: ${col}`);
    },
    seed: fn("seed", () => h.unsafeRandomF64()),
    "Date.now": fn("date_now", () => Number(h.getTime())),
    "console.log": log("LOG"),
    "console.info": log("INFO"),
    "console.warn": log("WARN"),
    "console.error": log("ERROR"),
    "console.debug": log("DEBUG"),
    trace: fn("trace", (p: number, n: number, ...args: number[]) =>
      h.print(`TRACE: ${str(p)} ${args.slice(0, Math.max(0, Math.min(5, n))).join(", ")}`),
    ),
    "process.exit": (code: number) => {
      throw new AbiError(`exit with code: ${code}`);
    },
  };
  return { massa, env } as unknown as WebAssembly.Imports;
}

/** The call ran out of gas in a host function. */
export class OutOfGas extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutOfGas";
  }
}
