// A contract for the benchmarks and the hostile tests: functions that use all their gas in the host's
// most frequent calls, to measure the worst a block full of gas can cost a node.
import { Storage } from "@massalabs/massa-as-sdk";

/** Takes the deployment's coins (they pay for the storage the loops write). */
export function constructor(_: StaticArray<u8>): void {}

/** Overwrites one storage entry until the gas runs out. */
export function writeLoop(_: StaticArray<u8>): void {
  let i: u64 = 0;
  while (true) {
    Storage.set("k", i.toString());
    i++;
  }
}

/** Reads one storage entry until the gas runs out. */
export function readLoop(_: StaticArray<u8>): void {
  Storage.set("k", "value");
  let _n: i32 = 0;
  while (true) _n += Storage.get("k").length;
}

/** Pure computation until the gas runs out. */
export function spin(_: StaticArray<u8>): void {
  let i: u64 = 0;
  while (i >= 0) i++;
}
