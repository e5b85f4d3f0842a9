import * as nodeCrypto from "node:crypto";
import { decodeBs58Check, encodeBs58Check, OperationId, Signature } from "@massa-ts/models";
import { base58, createBase58check } from "@scure/base";
import { describe, expect, it } from "vitest";
import { base58Decode, base58DecodeInto, base58Encode } from "../src/base58.ts";

// @scure/base (an independent implementation) is the oracle
const sha256 = (d: Uint8Array) => nodeCrypto.createHash("sha256").update(d).digest();
const scureCheck = createBase58check(sha256);

describe("base58", () => {
  it("gives the Bitcoin alphabet's known values", () => {
    expect(base58Encode(new Uint8Array(0))).toBe("");
    expect(base58Encode(Uint8Array.of(0))).toBe("1");
    expect(base58Encode(Uint8Array.of(0, 0, 57))).toBe("11z");
    expect(base58Encode(Uint8Array.of(58))).toBe("21");
    expect(base58Encode(new TextEncoder().encode("Hello World!"))).toBe("2NEpo7TZRRrLZSi2U");
    expect(base58Decode("2NEpo7TZRRrLZSi2U")).toEqual(new TextEncoder().encode("Hello World!"));
    expect(base58Decode("0OIl")).toBeNull();
    expect(base58Decode("abcé")).toBeNull();
  });

  it("equals @scure/base both ways on random payloads of 0..120, 127..300 bytes with leading zeros", () => {
    const seed = Number(process.env.TEST_SEED ?? Date.now() % 1_000_000);
    console.log(`base58 test seed ${seed}`);
    let x = seed >>> 0;
    const rnd = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x >>> 24;
    };
    // up to 120 bytes (every id, key and signature) and past the encoder's 128-byte scratch space
    const sizes = [...Array.from({ length: 121 }, (_, n) => n), 127, 128, 129, 140, 200, 300];
    for (const n of sizes)
      for (let rep = 0; rep < 20; rep++) {
        const b = Uint8Array.from({ length: n }, rnd);
        const zeros = rnd() % 4;
        for (let i = 0; i < Math.min(zeros, n); i++) b[i] = 0;
        if (rep === 0) b.fill(0); // all zeros
        if (rep === 1 && n > 0) b.fill(0xff);
        const text = base58.encode(b);
        expect(base58Encode(b), `encode ${n} bytes`).toBe(text);
        expect(base58Decode(text), `decode ${text}`).toEqual(b);
        // (base58check text is refused past 200 characters: a bound on what a peer or a client sends)
        if (n > 0 && n <= 120) {
          const checked = scureCheck.encode(b);
          expect(encodeBs58Check(b)).toBe(checked);
          expect(decodeBs58Check(checked, "t")).toEqual(b);
        }
      }
  });

  it("decodes into a caller's array: the leading zeros written over what it held, -2 when it is too short", () => {
    const out = new Uint8Array(8).fill(0xee);
    expect(base58DecodeInto("11z", out)).toBe(3);
    expect(out).toEqual(Uint8Array.of(0, 0, 57, 0xee, 0xee, 0xee, 0xee, 0xee));
    expect(base58DecodeInto("0OIl", out)).toBe(-1);
    const text = base58.encode(Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8));
    expect(base58DecodeInto(text, out)).toBe(-2);
    expect(base58DecodeInto(text, new Uint8Array(9))).toBe(9);
    // 200 "1"s are 200 zero bytes: within the 200-character bound, so the checksum decides
    expect(() => decodeBs58Check("1".repeat(200), "t")).toThrow(/bad checksum/);
    expect(() => decodeBs58Check("1".repeat(201), "t")).toThrow(/bad base58check length/);
  });

  it("reads signatures and ids out of the decoder's scratch array into arrays of their own", () => {
    const raw = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 5) & 0xff);
    const first = Signature.fromString(scureCheck.encode(Uint8Array.of(0, ...raw)));
    const second = Signature.fromString(scureCheck.encode(Uint8Array.of(0, ...raw.map((b) => b ^ 0xff))));
    expect(first.raw).toEqual(raw); // not overwritten by the second decode
    expect(second.raw).toEqual(raw.map((b) => b ^ 0xff));
    expect(() => Signature.fromString(scureCheck.encode(Uint8Array.of(1, ...raw)))).toThrow(
      /signature: unsupported signature version 1/,
    );
    expect(() => Signature.fromString(scureCheck.encode(Uint8Array.of(0, ...raw.subarray(1))))).toThrow(
      /signature: expected 65 bytes, got 64/,
    );
    const hash = raw.subarray(0, 32);
    const id = OperationId.fromString(`O${scureCheck.encode(Uint8Array.of(0, ...hash))}`);
    Signature.fromString(scureCheck.encode(Uint8Array.of(0, ...raw.map((b) => b ^ 0xff))));
    expect(id.hash).toEqual(hash);
    expect(() => OperationId.fromString(`O${scureCheck.encode(Uint8Array.of(1, ...hash))}`)).toThrow(
      /bad id payload/,
    );
  });

  it("refuses a bad checksum and characters outside the alphabet with a DecodeError naming the field", () => {
    const good = scureCheck.encode(Uint8Array.of(1, 2, 3));
    const bad = good.slice(0, -1) + (good.at(-1) === "2" ? "3" : "2");
    expect(() => decodeBs58Check(bad, "signature")).toThrow(
      /signature: invalid base58check \(bad checksum\)/,
    );
    expect(() => decodeBs58Check("0abc", "address")).toThrow(/address: invalid base58check/);
    expect(() => decodeBs58Check("1", "id")).toThrow(/shorter than its checksum/);
  });
});
