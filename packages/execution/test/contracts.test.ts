// Contracts through execution: the example contract (AssemblyScript, massa-as-sdk) deployed by massa-web3's
// own deployer bytecode and datastore layout, then called. Expected balances are worked by hand from
// Massa's storage rules (LEDGER_COST_PER_BYTE 0.0001, a new address 0.001, a datastore entry 0.0004 plus
// its key and value bytes), not read from the code under test.
import { compileContract } from "@massa-ts/example-contracts";
import { Address, Amount, blake3Tuple, type SignedOperation, u64be } from "@massa-ts/models";
import { Args, populateDatastore } from "@massalabs/massa-web3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { block, type Chain, chain, cleanup, exec, finalize, keyIn, mas, op, runTo, Slot } from "./harness.ts";

// massa-web3 keeps its deployer bytecode in a generated module (not among its typed exports)
const { DEPLOYER_BYTECODE } = (await import(
  "@massalabs/massa-web3/dist/esm/generated/deployer-bytecode.js"
)) as { DEPLOYER_BYTECODE: Uint8Array };

const utf8 = (s: string) => new TextEncoder().encode(s);
const PER_BYTE = mas("0.0001");
const entryCost = (key: Uint8Array, value: Uint8Array) =>
  mas("0.0004").add(PER_BYTE.mul(BigInt(key.length + value.length)));
const MAX_GAS = 3_980_167_295n; // the most an ExecuteSC may ask: block gas − compilation − base

let wasm: Uint8Array;
beforeAll(async () => {
  wasm = await compileContract("hello");
}, 120_000);
afterAll(cleanup);

describe("a contract deployed with massa-web3's deployer, then called", () => {
  let c: Chain;
  let a: ReturnType<typeof keyIn>;
  let p: ReturnType<typeof keyIn>;
  let deploy: SignedOperation;
  let contract: Address;
  const coins = mas("1");

  beforeAll(async () => {
    a = keyIn(1);
    p = keyIn(0);
    c = await chain(
      [
        [a.addr, "100"],
        [p.addr, "1000"],
      ],
      [[p.addr, 1n]],
    );
    runTo(c, new Slot(1, 0));
    const datastore = populateDatastore([
      { data: wasm, args: new Args().addString("hello").serialize(), coins: coins.nano },
    ]);
    deploy = op(
      a.sk,
      {
        type: "ExecuteSC",
        maxGas: MAX_GAS,
        maxCoins: mas("10"),
        bytecode: DEPLOYER_BYTECODE,
        datastore: [...datastore].map(([k, v]) => [k, v] as const),
      },
      "0.01",
    );
    exec(c, new Slot(1, 1), block(new Slot(1, 1), p.addr, [deploy]));
    const events = c.ex.events({ operationId: deploy.id });
    expect(events.map((e) => e.isError)).not.toContain(true);
    // the deployer's last event: base64 of the serialized addresses (what massa-web3's deploy decodes)
    const last = Buffer.from(events.at(-1)!.data, "base64").toString("latin1");
    const m = /AS[1-9A-HJ-NP-Za-km-z]+/.exec(last);
    expect(m, last).not.toBeNull();
    contract = Address.fromString(m![0]);
  }, 60_000);

  it("the deploy succeeds: the stored bytecode is the wasm, the constructor ran with its argument, and its event came before the deployer's", () => {
    expect(c.ex.operationStatus(deploy.id)?.success).toBe(true);
    expect(Buffer.from(c.ex.bytecode(contract, "candidate")!)).toEqual(Buffer.from(wasm));
    expect(new TextDecoder().decode(c.ex.dataEntry(contract, utf8("greeting"), "candidate"))).toBe("hello");
    const data = c.ex.events({ operationId: deploy.id }).map((e) => e.data);
    expect(data).toContain("constructed: hello");
  });

  it("balances to the nano: the deployer paid fee, coins and the contract's creation (0.001 + 0.0001 a byte); the contract paid its own entry", () => {
    const creation = mas("0.001").add(PER_BYTE.mul(BigInt(wasm.length)));
    const spent = mas("0.01").add(coins).add(creation);
    expect(c.ex.balance(a.addr, "candidate")?.toString()).toBe(mas("100").sub(spent).toString());
    const entry = entryCost(utf8("greeting"), utf8("hello"));
    expect(c.ex.balance(contract, "candidate")?.toString()).toBe(coins.sub(entry).toString());
  });

  it("a CallSC changes storage (the contract pays the growth) and emits an event with the caller on the stack", () => {
    const before = c.ex.balance(contract, "candidate")!;
    const call = op(
      a.sk,
      {
        type: "CallSC",
        maxGas: 100_000_000n,
        coins: Amount.ZERO,
        target: contract,
        functionName: "setGreeting",
        parameter: new Args().addString("good morning").serialize(),
      },
      "0.01",
    );
    runTo(c, new Slot(2, 0));
    exec(c, new Slot(2, 1), block(new Slot(2, 1), p.addr, [call]));
    expect(c.ex.operationStatus(call.id)?.success).toBe(true);
    expect(new TextDecoder().decode(c.ex.dataEntry(contract, utf8("greeting"), "candidate"))).toBe(
      "good morning",
    );
    const growth = PER_BYTE.mul(BigInt("good morning".length - "hello".length));
    expect(c.ex.balance(contract, "candidate")?.toString()).toBe(before.sub(growth).toString());
    const ev = c.ex.events({ operationId: call.id });
    expect(ev.map((e) => e.data)).toEqual([`greeting set to good morning by ${a.addr}`]);
    expect(ev[0]!.callStack.map(String)).toEqual([a.addr.toString(), contract.toString()]);
  });

  it("read-only: a call returns the function's bytes and keeps nothing; the deployer's bytecode run read-only costs at least create_sc's 745 000 000 gas", () => {
    const before = c.ex.balance(contract, "candidate")!.toString();
    const r = c.ex.readOnly({
      maxGas: 100_000_000n,
      caller: a.addr,
      target: { kind: "call", address: contract, func: "greet", parameter: new Uint8Array() },
    });
    expect("ok" in r.result && new TextDecoder().decode(r.result.ok)).toBe("good morning");
    expect(r.slot.equals(c.ex.lastExecutedSlot.next(2))).toBe(true);
    expect(r.gasCost >= 2_100_000n).toBe(true);
    const w = c.ex.readOnly({
      maxGas: 100_000_000n,
      caller: a.addr,
      target: {
        kind: "call",
        address: contract,
        func: "setGreeting",
        parameter: new Args().addString("not kept").serialize(),
      },
    });
    expect("ok" in w.result).toBe(true);
    expect(w.events.map((e) => [e.data, e.readOnly])).toEqual([
      [`greeting set to not kept by ${a.addr}`, true],
    ]);
    expect(new TextDecoder().decode(c.ex.dataEntry(contract, utf8("greeting"), "candidate"))).toBe(
      "good morning",
    );
    expect(c.ex.balance(contract, "candidate")!.toString()).toBe(before);
    // (with coins: the constructor's storage is paid by the new contract)
    const datastore = populateDatastore([
      { data: wasm, args: new Args().addString("x").serialize(), coins: 10n ** 9n },
    ]);
    const d = c.ex.readOnly({
      maxGas: MAX_GAS,
      caller: a.addr,
      target: { kind: "bytecode", bytecode: DEPLOYER_BYTECODE, opDatastore: [...datastore] },
    });
    expect("ok" in d.result, JSON.stringify(d.result)).toBe(true);
    expect(d.gasCost > 745_000_000n).toBe(true);
    const missing = c.ex.readOnly({
      maxGas: 100_000_000n,
      caller: a.addr,
      target: { kind: "call", address: contract, func: "noSuchFunction", parameter: new Uint8Array() },
    });
    expect("error" in missing.result && missing.result.error).toMatch(
      /readonly call failed: .*Missing export noSuchFunction/,
    );
  });

  it("a failing call: Error status, fee charged, storage unchanged, the contract's write rolled back, an error event", () => {
    const aBefore = c.ex.balance(a.addr, "candidate")!;
    const call = op(
      a.sk,
      {
        type: "CallSC",
        maxGas: 100_000_000n,
        coins: Amount.ZERO,
        target: contract,
        functionName: "fail",
        parameter: new Uint8Array(),
      },
      "0.02",
    );
    runTo(c, new Slot(3, 0));
    exec(c, new Slot(3, 1), block(new Slot(3, 1), p.addr, [call]));
    expect(c.ex.operationStatus(call.id)?.success).toBe(false);
    expect(c.ex.balance(a.addr, "candidate")?.toString()).toBe(aBefore.sub(mas("0.02")).toString());
    expect(new TextDecoder().decode(c.ex.dataEntry(contract, utf8("greeting"), "candidate"))).toBe(
      "good morning",
    );
    const ev = c.ex.events({ operationId: call.id });
    expect(ev.every((e) => e.isError)).toBe(true);
    expect(ev.at(-1)!.data).toMatch(/massa_execution_error.*failed on purpose/);
  });

  it("out of gas: an endless loop stops at its max gas, the operation fails with Massa's message", () => {
    const call = op(a.sk, {
      type: "CallSC",
      maxGas: 5_000_000n,
      coins: Amount.ZERO,
      target: contract,
      functionName: "spin",
      parameter: new Uint8Array(),
    });
    runTo(c, new Slot(4, 0));
    exec(c, new Slot(4, 1), block(new Slot(4, 1), p.addr, [call]));
    expect(c.ex.operationStatus(call.id)?.success).toBe(false);
    expect(c.ex.events({ operationId: call.id }).at(-1)!.data).toMatch(
      /Not enough gas, limit reached at: spin/,
    );
  });

  it("a failed deploy does not use up a contract address: the next deploy of the slot gets index 0 (Massa's snapshot rule)", () => {
    const datastore = (coins: bigint) =>
      [...populateDatastore([{ data: wasm, args: new Args().addString("x").serialize(), coins }])].map(
        ([k, v]) => [k, v] as const,
      );
    const deploy = (coins: bigint, fee: string) =>
      op(
        a.sk,
        {
          type: "ExecuteSC",
          maxGas: MAX_GAS / 4n, // two fit in a block
          maxCoins: mas("10"),
          bytecode: DEPLOYER_BYTECODE,
          datastore: datastore(coins),
        },
        fee,
        12,
      );
    // without coins the constructor cannot pay its storage: the whole deploy fails after create_sc ran
    const failing = deploy(0n, "0.03");
    const good = deploy(mas("1").nano, "0.04");
    runTo(c, new Slot(5, 0));
    const slot = new Slot(5, 1);
    const b = block(slot, p.addr, [failing, good]);
    const prevTrail = c.ex.activeHistory.at(-1)?.trailHash ?? c.fs.executionTrailHash;
    exec(c, slot, b);
    expect(c.ex.operationStatus(failing.id)?.success).toBe(false);
    expect(c.ex.operationStatus(good.id)?.success).toBe(true);
    // Massa: trail = H(prev, slot key, [0, 1], block id bytes); address = AS ‖ H("SC_ADDRESS", trail, 0u64, 0u64)
    const trail = blake3Tuple([prevTrail, slot.toKey(), Uint8Array.of(0, 1), b.id.toBytes()]);
    const expected = new Address("sc", blake3Tuple([utf8("SC_ADDRESS"), trail, u64be(0), u64be(0)]));
    const text = Buffer.from(c.ex.events({ operationId: good.id }).at(-1)!.data, "base64").toString("latin1");
    expect(/AS[1-9A-HJ-NP-Za-km-z]+/.exec(text)![0]).toBe(expected.toString());
  });

  it("the state survives finality: the final state holds the contract, with the same bytes", () => {
    finalize(c, new Slot(5, 1));
    expect(Buffer.from(c.fs.ledger.getBytecode(contract)!)).toEqual(Buffer.from(wasm));
    expect(c.fs.executionTrailHash).not.toEqual(new Uint8Array(32));
  });
});
