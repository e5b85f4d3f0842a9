// An example contract for massa-ts (and Massa): a greeting kept in storage, set by its constructor and by
// `setGreeting`, read by `greet`; coins in and out; a call to another contract; and two functions that
// fail on purpose (an assertion, an endless loop) to show what a failed call does.
import { Args, stringToBytes } from "@massalabs/as-types";
import {
  Address,
  balance,
  Context,
  call,
  generateEvent,
  Storage,
  transferCoins,
} from "@massalabs/massa-as-sdk";

const GREETING = "greeting";

export function constructor(args: StaticArray<u8>): void {
  // only when deployed, never called again afterwards
  if (!Context.isDeployingContract()) return;
  const greeting = new Args(args).nextString().expect("the constructor takes a greeting");
  Storage.set(GREETING, greeting);
  generateEvent(`constructed: ${greeting}`);
}

export function setGreeting(args: StaticArray<u8>): void {
  const greeting = new Args(args).nextString().expect("setGreeting takes a greeting");
  Storage.set(GREETING, greeting);
  generateEvent(`greeting set to ${greeting} by ${Context.caller().toString()}`);
}

export function greet(_: StaticArray<u8>): StaticArray<u8> {
  return stringToBytes(Storage.get(GREETING));
}

/** Sends `amount` nanoMAS of the contract's coins to the caller. */
export function withdraw(args: StaticArray<u8>): void {
  const amount = new Args(args).nextU64().expect("withdraw takes an amount");
  assert(amount <= balance(), "not enough coins");
  transferCoins(Context.caller(), amount);
}

/** Calls `greet` of another contract and returns its answer. */
export function greetOf(args: StaticArray<u8>): StaticArray<u8> {
  const other = new Args(args).nextString().expect("greetOf takes an address");
  return call(new Address(other), "greet", new Args(), 0);
}

/** Writes, then fails: the write is rolled back, the fee stays paid. */
export function fail(_: StaticArray<u8>): void {
  Storage.set(GREETING, "never stored");
  assert(false, "failed on purpose");
}

/** Never ends: stops when its gas runs out. */
export function spin(_: StaticArray<u8>): void {
  let i: u64 = 0;
  while (i >= 0) i++;
}
