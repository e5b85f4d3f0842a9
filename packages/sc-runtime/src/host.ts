// What a contract may ask of the node: the host interface execution implements (Massa's `Interface` of
// massa-sc-runtime, for the legacy AssemblyScript ABI). Addresses are Massa's strings ("AU…", "AS…"),
// amounts nanoMAS. Every method throws (any Error) to fail the call with that message.

export interface Host {
  /** Pushes a call frame for `address` with `coins` moved to it; returns its bytecode. */
  initCall(address: string, coins: bigint): Uint8Array;
  /** Pops the frame pushed by `initCall`. */
  finishCall(): void;
  /** Creates a smart-contract address holding `bytecode`, owned by the current frame; returns it. */
  createModule(bytecode: Uint8Array): string;

  /** The current frame's datastore, or `address`'s when given (write access checked by the host). */
  getData(key: Uint8Array, address?: string): Uint8Array;
  hasData(key: Uint8Array, address?: string): boolean;
  setData(key: Uint8Array, value: Uint8Array, address?: string): void;
  appendData(key: Uint8Array, value: Uint8Array, address?: string): void;
  deleteData(key: Uint8Array, address?: string): void;
  /** Keys in order, those starting with `prefix`. */
  getKeys(prefix: Uint8Array, address?: string): Uint8Array[];
  getBytecode(address?: string): Uint8Array;
  setBytecode(bytecode: Uint8Array, address?: string): void;

  /** The operation datastore (top frame only). */
  getOpKeys(prefix: Uint8Array): Uint8Array[];
  hasOpKey(key: Uint8Array): boolean;
  getOpData(key: Uint8Array): Uint8Array;

  getBalance(address?: string): bigint;
  transferCoins(to: string, amount: bigint, from?: string): void;
  getCallCoins(): bigint;
  getCallStack(): string[];
  getOwnedAddresses(): string[];
  callerHasWriteAccess(): boolean;
  generateEvent(data: string): void;

  getCurrentPeriod(): bigint;
  getCurrentThread(): number;
  /** Milliseconds: the slot's timestamp. */
  getTime(): bigint;
  getOriginOperationId(): string | undefined;
  chainId(): bigint;
  /** A deterministic pseudo-random number (the slot's seed), not safe for value. */
  unsafeRandom(): bigint;
  unsafeRandomF64(): number;
  print(message: string): void;
  /** Told the gas each (sub-)execution starts with, before it runs (optional). */
  beforeRun?(gas: bigint): void;
}

/** A contract asked for something the node does not do (yet): the call fails with this. */
export class UnsupportedError extends Error {
  constructor(what: string) {
    super(`${what} is not supported by this node`);
    this.name = "UnsupportedError";
  }
}
