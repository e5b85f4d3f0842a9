// What a running contract may do to the unified ledger, with Massa's rules (massa-execution-worker
// `context.rs`, `speculative_ledger.rs`, `interface_impl.rs`): a call stack of frames (address, coins,
// owned addresses, the operation datastore at the top only), write rights (the top frame's owned
// addresses), storage paid in coins by the current address (charged on growth, refunded on shrink),
// contract addresses derived from the slot's trail hash, events bounded in size and count. Every write
// goes into the operation's scratch layer, thrown away if the operation fails.
import { Address, Amount, blake3Tuple, compareBytes, type SignedOperation, u64be } from "@massa-ts/models";
import type { Host } from "@massa-ts/sc-runtime";
import { OperationFailure, transfer } from "../operations.js";
import type { Scratch, SlotContext } from "../slot-context.js";

export interface Frame {
  readonly address: Address;
  readonly coins: Amount;
  readonly owned: Address[];
  /** The operation datastore (ExecuteSC's top frame only), sorted by key. */
  readonly opDatastore?: readonly (readonly [Uint8Array, Uint8Array])[];
}

const SC_ADDRESS = new TextEncoder().encode("SC_ADDRESS");
const utf8Length = (s: string) => Buffer.byteLength(s, "utf8");

export class ContractHost implements Host {
  /** Events emitted by contracts in this execution (at most `maxEventsPerOperation`). */
  private userEvents = 0;
  /** Told the gas of each (sub-)execution as it starts (read-only cost estimates). */
  onRun?: (gas: bigint) => void;

  beforeRun(gas: bigint): void {
    this.onRun?.(gas);
  }

  constructor(
    private readonly ctx: SlotContext,
    private readonly into: Scratch,
    readonly stack: Frame[],
    private readonly op?: SignedOperation,
  ) {}

  private fail(message: string): never {
    throw new OperationFailure(message);
  }

  private top(): Frame {
    return this.stack.at(-1) ?? this.fail("call stack empty");
  }

  private current(): Address {
    return this.top().address;
  }

  private parse(text: string): Address {
    try {
      return Address.fromString(text);
    } catch (e) {
      return this.fail((e as Error).message);
    }
  }

  private exists(a: Address): boolean {
    return this.into.view.balance(a) !== undefined;
  }

  private canWrite(a: Address): boolean {
    return this.top().owned.some((o) => o.equals(a));
  }

  private pay(from: Address | undefined, to: Address | undefined, amount: Amount): void {
    transfer(this.ctx, this.into, from, to, amount);
  }

  // ---- calls ----

  initCall(address: string, coins: bigint): Uint8Array {
    const to = this.parse(address);
    this.checkTarget(to);
    const bytecode = this.into.view.bytecode(to) ?? this.fail(`bytecode not found for address ${to}`);
    const from = this.current();
    const amount = Amount.fromNano(coins);
    try {
      this.pay(from, to, amount);
    } catch (e) {
      this.fail(`error transferring ${amount} coins from ${from} to ${to}: ${(e as Error).message}`);
    }
    this.stack.push({ address: to, coins: amount, owned: [to] });
    return bytecode;
  }

  finishCall(): void {
    if (this.stack.pop() === undefined) this.fail("call stack out of bounds");
  }

  /** Massa's check_target_sc_address. */
  checkTarget(a: Address): void {
    if (a.kind !== "sc") this.fail(`The called address ${a} is not a smart contract address`);
    if (!this.exists(a)) this.fail(`The called smart contract address ${a} does not exist`);
  }

  createModule(bytecode: Uint8Array): string {
    const sc = this.ctx.config.sc;
    let address: Address;
    for (let nonce = 0n; ; nonce++) {
      const hash = blake3Tuple([
        SC_ADDRESS,
        this.ctx.trailHash,
        u64be(this.ctx.createdAddresses),
        u64be(nonce),
      ]);
      address = new Address("sc", hash);
      if (!this.exists(address)) break;
    }
    const creator = this.current();
    const err = (why: string) =>
      this.fail(`couldn't create new SC address: could not create SC address ${address}: ${why}`);
    if (!this.exists(creator)) err(`creator address ${creator} does not exist`);
    if (bytecode.length > sc.maxBytecodeLength) err("bytecode size exceeds maximum allowed size");
    const cost = this.ctx.config.addressCreationCost.add(sc.ledgerCostPerByte.mul(BigInt(bytecode.length)));
    try {
      this.pay(creator, undefined, cost);
    } catch (e) {
      this.fail(`couldn't create new SC address: ${(e as Error).message}`);
    }
    this.into.layer.ledger.createAddress(address);
    this.into.layer.ledger.setBytecode(address, bytecode);
    this.top().owned.push(address);
    this.ctx.createdAddresses++;
    return address.toString();
  }

  // ---- datastore ----

  private target(address?: string): Address {
    return address === undefined ? this.current() : this.parse(address);
  }

  getData(key: Uint8Array, address?: string): Uint8Array {
    return this.into.view.dataEntry(this.target(address), key) ?? this.fail("data entry not found");
  }

  hasData(key: Uint8Array, address?: string): boolean {
    return this.into.view.dataEntry(this.target(address), key) !== undefined;
  }

  /** The storage cost of a datastore entry: base + (key + value) bytes. */
  private entryCost(key: Uint8Array, value: Uint8Array): Amount {
    const sc = this.ctx.config.sc;
    return sc.datastoreEntryBaseCost.add(sc.ledgerCostPerByte.mul(BigInt(key.length + value.length)));
  }

  /** Charges (or refunds) the current address for an entry going from `before` to `after`. */
  private chargeEntry(key: Uint8Array, before: Uint8Array | undefined, after: Uint8Array | undefined): void {
    const old = before ? this.entryCost(key, before) : Amount.ZERO;
    const next = after ? this.entryCost(key, after) : Amount.ZERO;
    const payer = this.current();
    try {
      if (old.lt(next)) this.pay(payer, undefined, next.sub(old));
      else if (next.lt(old)) this.pay(undefined, payer, old.sub(next));
    } catch (e) {
      this.fail(`failed to charge storage costs for datastore entry change: ${(e as Error).message}`);
    }
  }

  private write(a: Address, key: Uint8Array, value: Uint8Array, verb: string): void {
    const sc = this.ctx.config.sc;
    if (!this.canWrite(a)) this.fail(`${verb} the datastore of address ${a} is not allowed in this context`);
    if (!this.exists(a)) this.fail(`could not set data for address ${a}: address does not exist`);
    if (key.length === 0 || key.length > sc.maxDatastoreKeyLength)
      this.fail(`key length is ${key.length}, but it must be in [0..=${sc.maxDatastoreKeyLength}]`);
    if (value.length > sc.maxDatastoreValueLength)
      this.fail(`value length is ${value.length}, but it must be in [0..=${sc.maxDatastoreValueLength}]`);
    this.chargeEntry(key, this.into.view.dataEntry(a, key), value);
    this.into.layer.ledger.setDataEntry(a, key, value);
  }

  setData(key: Uint8Array, value: Uint8Array, address?: string): void {
    this.write(this.target(address), key, value, "writing in");
  }

  appendData(key: Uint8Array, value: Uint8Array, address?: string): void {
    const a = this.target(address);
    if (!this.canWrite(a))
      this.fail(`appending to the datastore of address ${a} is not allowed in this context`);
    const old =
      this.into.view.dataEntry(a, key) ??
      this.fail(`appending to the datastore of address ${a} failed: entry ${Array.from(key)} not found`);
    const joined = new Uint8Array(old.length + value.length);
    joined.set(old);
    joined.set(value, old.length);
    this.write(a, key, joined, "appending to");
  }

  deleteData(key: Uint8Array, address?: string): void {
    const a = this.target(address);
    if (!this.canWrite(a))
      this.fail(`deleting from the datastore of address ${a} is not allowed in this context`);
    const old =
      this.into.view.dataEntry(a, key) ??
      this.fail(
        `could not delete data entry ${Array.from(key)} for address ${a}: entry or address does not exist`,
      );
    this.chargeEntry(key, old, undefined);
    this.into.layer.ledger.deleteDataEntry(a, key);
  }

  getKeys(prefix: Uint8Array, address?: string): Uint8Array[] {
    const keys = this.into.view.datastoreKeys(this.target(address)) ?? this.fail("data entry not found");
    return keys.filter((k) => k.length >= prefix.length && prefix.every((b, i) => k[i] === b));
  }

  getBytecode(address?: string): Uint8Array {
    return this.into.view.bytecode(this.target(address)) ?? this.fail("bytecode not found");
  }

  setBytecode(bytecode: Uint8Array, address?: string): void {
    const a = this.target(address);
    const sc = this.ctx.config.sc;
    if (!this.canWrite(a)) this.fail(`setting the bytecode of address ${a} is not allowed in this context`);
    if (a.kind === "user")
      this.fail(`can't set the bytecode of address ${a} because this is not a smart contract address`);
    if (!this.exists(a)) this.fail(`could not set bytecode for address ${a}: address does not exist`);
    if (bytecode.length > sc.maxBytecodeLength)
      this.fail(`could not set bytecode for address ${a}: bytecode size exceeds maximum allowed size`);
    const old = this.into.view.bytecode(a)?.length ?? 0;
    const delta = sc.ledgerCostPerByte.mul(BigInt(Math.abs(bytecode.length - old)));
    const payer = this.current();
    if (bytecode.length > old) this.pay(payer, undefined, delta);
    else if (bytecode.length < old) this.pay(undefined, payer, delta);
    this.into.layer.ledger.setBytecode(a, bytecode);
  }

  // ---- the operation datastore ----

  private opDatastore(): readonly (readonly [Uint8Array, Uint8Array])[] {
    return this.top().opDatastore ?? this.fail("No datastore in stack");
  }

  getOpKeys(prefix: Uint8Array): Uint8Array[] {
    return this.opDatastore()
      .filter(([k]) => k.length >= prefix.length && prefix.every((b, i) => k[i] === b))
      .map(([k]) => k);
  }

  hasOpKey(key: Uint8Array): boolean {
    return this.opDatastore().some(([k]) => compareBytes(k, key) === 0);
  }

  getOpData(key: Uint8Array): Uint8Array {
    const e = this.opDatastore().find(([k]) => compareBytes(k, key) === 0);
    return e ? e[1] : this.fail(`Unknown key: ${Array.from(key)}`);
  }

  // ---- coins ----

  getBalance(address?: string): bigint {
    return this.into.view.balance(this.target(address))?.nano ?? 0n;
  }

  transferCoins(to: string, amount: bigint, from?: string): void {
    const src = this.target(from);
    const dst = this.parse(to);
    if (!this.canWrite(src)) this.fail(`spending from address ${src} is not allowed in this context`);
    this.pay(src, dst, Amount.fromNano(amount));
  }

  getCallCoins(): bigint {
    return this.top().coins.nano;
  }

  // ---- context ----

  getCallStack(): string[] {
    return this.stack.map((f) => f.address.toString());
  }

  getOwnedAddresses(): string[] {
    return this.top().owned.map((a) => a.toString());
  }

  callerHasWriteAccess(): boolean {
    const caller = this.stack.at(-2) ?? this.top();
    return caller.owned.some((a) => a.equals(this.current()));
  }

  generateEvent(data: string): void {
    const sc = this.ctx.config.sc;
    if (utf8Length(data) > sc.maxEventSize) this.fail("Event data size is too large");
    if (++this.userEvents > sc.maxEventsPerOperation) this.fail("Too many event for this operation");
    this.ctx.emit(
      data,
      false,
      this.op,
      undefined,
      this.stack.map((f) => f.address),
    );
  }

  getCurrentPeriod(): bigint {
    return BigInt(this.ctx.slot.period);
  }

  getCurrentThread(): number {
    return this.ctx.slot.thread;
  }

  getTime(): bigint {
    const c = this.ctx.config;
    return BigInt(
      c.genesisTimestamp + this.ctx.slot.period * c.t0 + this.ctx.slot.thread * (c.t0 / c.threadCount),
    );
  }

  getOriginOperationId(): string | undefined {
    return this.op?.id.toString();
  }

  chainId(): bigint {
    return this.ctx.config.chainId;
  }

  unsafeRandom(): bigint {
    return this.ctx.rng.nextI64();
  }

  unsafeRandomF64(): number {
    return this.ctx.rng.nextF64();
  }

  print(_message: string): void {
    // Massa prints to the node's debug log; a contract's prints have no effect on the state
  }
}
