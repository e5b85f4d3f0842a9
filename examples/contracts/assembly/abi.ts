// A contract that exercises the host functions massa-as-sdk wraps and returns what it saw, serialized with
// as-types' Args: the runtime's tests check each value against an independent source (the SDK decodes
// our memory, the test computes what Massa's rules give).
import { Args, stringToBytes } from "@massalabs/as-types";
import {
  balance,
  balanceOf,
  Context,
  createSC,
  functionExists,
  getBytecode,
  isAddressEoa,
  isSignatureValid,
  keccak256,
  publicKeyToAddress,
  Storage,
  sha256,
  unsafeRandom,
  validateAddress,
} from "@massalabs/massa-as-sdk";

export function constructor(_: StaticArray<u8>): void {}

/** Storage: set, append, has, get, delete, keys by prefix. */
export function storage(_: StaticArray<u8>): StaticArray<u8> {
  Storage.set("a:1", "1");
  Storage.append("a:1", "23");
  Storage.set("a:2", "x");
  Storage.set("b", "y");
  Storage.del("b");
  const keys = Storage.getKeys(stringToBytes("a:"));
  return new Args()
    .add(Storage.get("a:1"))
    .add(Storage.has("b"))
    .add(Storage.has("a:2"))
    .add(keys.length as u32)
    .serialize();
}

/** The call's context. */
export function context(_: StaticArray<u8>): StaticArray<u8> {
  const stack = Context.addressStack();
  const names: string[] = [];
  for (let i = 0; i < stack.length; i++) names.push(stack[i].toString());
  const owned = Context.ownedAddresses();
  return new Args()
    .add(Context.caller().toString())
    .add(Context.callee().toString())
    .add(names.join(","))
    .add(Context.transferredCoins())
    .add(Context.timestamp())
    .add(Context.currentPeriod())
    .add(Context.currentThread())
    .add(Context.chainId())
    .add(Context.remainingGas() > 0)
    .add(owned.length as u32)
    .add(Context.isDeployingContract())
    .serialize();
}

/** Hashes of the argument's bytes. */
export function hashes(args: StaticArray<u8>): StaticArray<u8> {
  const data = new Args(args).nextBytes().expect("data");
  return new Args().add(sha256(data)).add(keccak256(data)).serialize();
}

/** Address helpers: a public key's address, validity and kind. */
export function addresses(args: StaticArray<u8>): StaticArray<u8> {
  const a = new Args(args);
  const publicKey = a.nextString().expect("public key");
  const contract = a.nextString().expect("contract");
  return new Args()
    .add(publicKeyToAddress(publicKey).toString())
    .add(validateAddress(contract))
    .add(validateAddress("not an address"))
    .add(isAddressEoa(publicKeyToAddress(publicKey).toString()))
    .add(isAddressEoa(contract))
    .serialize();
}

/** A signature check of a string by a public key. */
export function signature(args: StaticArray<u8>): StaticArray<u8> {
  const a = new Args(args);
  const publicKey = a.nextString().expect("public key");
  const data = a.nextString().expect("data");
  const sig = a.nextString().expect("signature");
  return new Args().add(isSignatureValid(publicKey, data, sig)).serialize();
}

/** Balances, the contract's and another address's. */
export function coins(args: StaticArray<u8>): StaticArray<u8> {
  const other = new Args(args).nextString().expect("address");
  return new Args().add(balance()).add(balanceOf(other)).serialize();
}

/** Two draws of the unsafe random generator. */
export function random(_: StaticArray<u8>): StaticArray<u8> {
  return new Args().add(unsafeRandom()).add(unsafeRandom()).serialize();
}

/** A contract creating another from its own bytecode, then checking a function of it exists. */
export function spawn(_: StaticArray<u8>): StaticArray<u8> {
  const child = createSC(getBytecode());
  return new Args()
    .add(child.toString())
    .add(functionExists(child, "storage"))
    .add(functionExists(child, "nothing"))
    .serialize();
}
