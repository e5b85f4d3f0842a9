// The host functions as a contract sees them: a contract written with massa-as-sdk (examples/contracts/
// assembly/abi.ts) calls them and returns what it got, serialized with as-types' Args; massa-web3 decodes it
// here and each value is checked against an independent source: Node's own SHA-256, published Keccak-256
// vectors, massa-web3's keys and signatures, Massa's slot-time rule worked by hand, the reference
// Xoshiro256++ outputs.
import { createHash } from "node:crypto";
import { compileContract } from "@massa-ts/example-contracts";
import { Address, type Amount } from "@massa-ts/models";
import * as w3 from "@massalabs/massa-web3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnsafeRng } from "../src/sc/prng.ts";
import { block, type Chain, chain, cleanup, exec, keyIn, mas, op, runTo, Slot, T } from "./harness.ts";

const { DEPLOYER_BYTECODE } = (await import(
  "@massalabs/massa-web3/dist/esm/generated/deployer-bytecode.js"
)) as { DEPLOYER_BYTECODE: Uint8Array };

let c: Chain;
let contract: Address;
const a = keyIn(1);
const p = keyIn(0);
const COINS = mas("3");

beforeAll(async () => {
  const wasm = await compileContract("abi");
  c = await chain(
    [
      [a.addr, "100"],
      [p.addr, "1000"],
    ],
    [[p.addr, 1n]],
  );
  runTo(c, new Slot(1, 0));
  const deploy = op(
    a.sk,
    {
      type: "ExecuteSC",
      maxGas: 3_980_167_295n,
      maxCoins: mas("10"),
      bytecode: DEPLOYER_BYTECODE,
      datastore: [...w3.populateDatastore([{ data: wasm, args: new Uint8Array(), coins: COINS.nano }])],
    },
    "0.01",
  );
  exec(c, new Slot(1, 1), block(new Slot(1, 1), p.addr, [deploy]));
  const text = Buffer.from(c.ex.events({ operationId: deploy.id }).at(-1)!.data, "base64").toString("latin1");
  contract = Address.fromString(/AS[1-9A-HJ-NP-Za-km-z]+/.exec(text)![0]);
}, 120_000);
afterAll(cleanup);

/** Calls `func` read-only as `a` and returns its result as massa-web3 Args. */
function read(
  func: string,
  args: Uint8Array = new Uint8Array(),
  coins?: Amount,
  maxGas = 500_000_000n,
): w3.Args {
  const r = c.ex.readOnly({
    maxGas,
    caller: a.addr,
    target: { kind: "call", address: contract, func, parameter: args },
    ...(coins ? { coins } : {}),
  });
  if ("error" in r.result) throw new Error(r.result.error);
  return new w3.Args(r.result.ok);
}

describe("host functions through massa-as-sdk", () => {
  it("storage: set, append, has, get, delete, keys by prefix", () => {
    const r = read("storage");
    expect(r.nextString()).toBe("123");
    expect(r.nextBool()).toBe(false);
    expect(r.nextBool()).toBe(true);
    expect(r.nextU32()).toBe(2n);
  });

  it("context: caller, callee, stack, coins, the slot's time by Massa's rule, period, thread, chain id, gas, owned addresses", () => {
    const slot = c.ex.lastExecutedSlot.next(T);
    const r = read("context", new Uint8Array(), mas("0.5"));
    expect(r.nextString()).toBe(a.addr.toString());
    expect(r.nextString()).toBe(contract.toString());
    expect(r.nextString()).toBe(`${a.addr},${contract}`);
    expect(r.nextU64()).toBe(mas("0.5").nano);
    // genesis 0, T0 16 000 ms, 2 threads: period × 16 000 + thread × 8 000
    expect(r.nextU64()).toBe(BigInt(slot.period * 16_000 + slot.thread * 8_000));
    expect(r.nextU64()).toBe(BigInt(slot.period));
    expect(r.nextU8()).toBe(BigInt(slot.thread));
    expect(r.nextU64()).toBe(77n);
    expect(r.nextBool()).toBe(true);
    expect(r.nextU32()).toBe(1n);
    expect(r.nextBool()).toBe(false);
  });

  it("hashes: SHA-256 as Node computes it, Keccak-256 as published", () => {
    const data = new TextEncoder().encode("abc");
    const r = read("hashes", new w3.Args().addUint8Array(data).serialize());
    expect(Buffer.from(r.nextUint8Array()).toString("hex")).toBe(
      createHash("sha256").update(data).digest("hex"),
    );
    expect(Buffer.from(r.nextUint8Array()).toString("hex")).toBe(
      "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
    );
  });

  it("addresses: a public key's address as massa-web3 derives it; validity; user or contract", async () => {
    const key = await w3.PublicKey.fromPrivateKey(w3.PrivateKey.generate());
    const r = read(
      "addresses",
      new w3.Args().addString(key.toString()).addString(contract.toString()).serialize(),
    );
    expect(r.nextString()).toBe(w3.Address.fromPublicKey(key).toString());
    expect(r.nextBool()).toBe(true);
    expect(r.nextBool()).toBe(false);
    expect(r.nextBool()).toBe(true);
    expect(r.nextBool()).toBe(false);
  });

  it("signatures: massa-web3's signature of a string verifies; another string's does not", async () => {
    const sk = w3.PrivateKey.generate();
    const pk = await w3.PublicKey.fromPrivateKey(sk);
    const data = "sign me";
    const sig = await sk.sign(new TextEncoder().encode(data));
    const ok = read(
      "signature",
      new w3.Args().addString(pk.toString()).addString(data).addString(sig.toString()).serialize(),
    );
    expect(ok.nextBool()).toBe(true);
    const bad = read(
      "signature",
      new w3.Args().addString(pk.toString()).addString("other").addString(sig.toString()).serialize(),
    );
    expect(bad.nextBool()).toBe(false);
  });

  it("coins: the contract's balance (its deployment coins) and another address's", () => {
    const r = read("coins", new w3.Args().addString(a.addr.toString()).serialize());
    expect(r.nextU64()).toBe(COINS.nano);
    expect(r.nextU64()).toBe(c.ex.balance(a.addr, "candidate")!.nano);
  });

  it("random: two draws differ; the same slot gives the same draws (Massa seeds from the trail hash)", () => {
    const r1 = read("random");
    const r2 = read("random");
    const [x, y] = [r1.nextI64(), r1.nextI64()];
    expect(x).not.toBe(y);
    expect([r2.nextI64(), r2.nextI64()]).toEqual([x, y]);
  });

  it("create_sc and function_exists: a contract spawns a copy of itself", () => {
    // create_sc costs 745 000 000 gas (a compilation, in Massa's table)
    const r = read("spawn", new Uint8Array(), undefined, 1_000_000_000n);
    expect(r.nextString()).toMatch(/^AS/);
    expect(r.nextBool()).toBe(true);
    expect(r.nextBool()).toBe(false);
  });
});

describe("the unsafe random generator", () => {
  it("samples as Rust's rand does over Xoshiro256++ (seed words 1, 2, 3, 4; first outputs 41943041, 58720359): an i64 is the u64 as is, an f64 is its top 52 bits over 2^52", () => {
    const rng = UnsafeRng.fromWords(1n, 2n, 3n, 4n);
    expect(rng.nextI64()).toBe(41943041n);
    expect(rng.nextF64()).toBe(Number(58720359n >> 12n) / 2 ** 52);
    // a draw past 2^63 is a negative i64
    const big = UnsafeRng.fromWords(1n, 2n, 3n, 4n);
    for (let i = 0; i < 4; i++) big.nextU64();
    expect(big.nextI64()).toBe(9228616714210784205n - 2n ** 64n);
  });

  it("a snapshot taken before an operation puts the generator back where it was", () => {
    const rng = UnsafeRng.fromWords(5n, 6n, 7n, 8n);
    const saved = rng.snapshot();
    const first = [rng.nextU64(), rng.nextU64()];
    rng.restore(saved);
    expect([rng.nextU64(), rng.nextU64()]).toEqual(first);
  });
});
