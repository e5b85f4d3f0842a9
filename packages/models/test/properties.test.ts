import {
  Address,
  Amount,
  ByteReader,
  compareAddresses,
  DecodeError,
  decodeVarint,
  encodeVarint,
  PublicKey,
  Signature,
  Slot,
} from "@massa-ts/models";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const U64_MAX = (1n << 64n) - 1n;
const u64 = fc.bigInt({ min: 0n, max: U64_MAX });

/** Reference LEB128 encoder written independently of the one under test (string of 7-bit groups). */
function lebReference(v: bigint): number[] {
  const groups = v.toString(2).padStart(1, "0");
  const out: number[] = [];
  for (let end = groups.length; end > 0; end -= 7)
    out.push(Number.parseInt(groups.slice(Math.max(0, end - 7), end), 2));
  return out.map((g, i) => (i < out.length - 1 ? g | 0x80 : g));
}

describe("varint", () => {
  it("round-trips every u64 and matches an independent LEB128 encoder", () => {
    fc.assert(
      fc.property(u64, (v) => {
        const enc = encodeVarint(v);
        expect(Array.from(enc)).toEqual(lebReference(v));
        const dec = decodeVarint(enc, 0, "v");
        expect(dec.value).toBe(v);
        expect(dec.length).toBe(enc.length);
        if (v <= BigInt(Number.MAX_SAFE_INTEGER)) expect(encodeVarint(Number(v))).toEqual(enc);
      }),
      { numRuns: 2000 },
    );
  });
  it("rejects non-minimal encodings (a trailing 0x00 group)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 56n) - 1n }), (v) => {
        const enc = Array.from(encodeVarint(v));
        enc[enc.length - 1]! |= 0x80;
        enc.push(0);
        expect(() => decodeVarint(Uint8Array.from(enc), 0, "v")).toThrow(DecodeError);
      }),
    );
  });
  it("rejects values above 2^64-1 and inputs that never terminate", () => {
    const tooBig = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02);
    expect(() => decodeVarint(tooBig, 0, "v")).toThrow(/exceeds/);
    expect(() => decodeVarint(new Uint8Array(20).fill(0x80), 0, "v")).toThrow(DecodeError);
    expect(() => decodeVarint(Uint8Array.of(0x80, 0x80), 0, "v")).toThrow(/truncated/);
  });
});

describe("Amount", () => {
  it("text form round-trips for every u64 nano amount", () => {
    fc.assert(
      fc.property(u64, (nano) => {
        const a = Amount.fromNano(nano);
        const text = a.toString();
        expect(text).toMatch(/^\d+(\.\d*[1-9])?$/);
        expect(Amount.fromMas(text).nano).toBe(nano);
      }),
      { numRuns: 2000 },
    );
  });
  it("parses decimal text to the exact nano count", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 18_446_744_072n }),
        fc.integer({ min: 0, max: 999_999_999 }),
        (i, f) => {
          const frac = f.toString().padStart(9, "0");
          expect(Amount.fromMas(`${i}.${frac}`).nano).toBe(i * 1_000_000_000n + BigInt(f));
        },
      ),
    );
  });
  it("checked arithmetic never wraps", () => {
    fc.assert(
      fc.property(u64, u64, (x, y) => {
        const a = Amount.fromNano(x);
        const b = Amount.fromNano(y);
        if (x + y > U64_MAX) expect(() => a.add(b)).toThrow(/overflows/);
        else expect(a.add(b).nano).toBe(x + y);
        if (y > x) expect(() => a.sub(b)).toThrow(/negative/);
        else expect(a.sub(b).nano).toBe(x - y);
        expect(a.saturatingAdd(b).nano).toBe(x + y > U64_MAX ? U64_MAX : x + y);
      }),
    );
  });
});

describe("address order", () => {
  const addr = fc
    .tuple(fc.constantFrom<"user" | "sc">("user", "sc"), fc.uint8Array({ minLength: 32, maxLength: 32 }))
    .map(([k, h]) => new Address(k, h));

  it("equals a byte-wise comparison of the 34-byte binary form, and survives a text round-trip", () => {
    fc.assert(
      fc.property(addr, addr, (a, b) => {
        const byteOrder = Buffer.compare(Buffer.from(a.bytes), Buffer.from(b.bytes));
        expect(compareAddresses(a, b)).toBe(byteOrder);
        expect(Address.fromString(a.toString()).equals(a)).toBe(true);
        if (a.kind !== b.kind) expect(compareAddresses(a, b)).toBe(a.kind === "user" ? -1 : 1);
      }),
      { numRuns: 1000 },
    );
  });

  it("differs from the order of the base58 strings for some pairs", () => {
    let differs = false;
    fc.assert(
      fc.property(addr, addr, (a, b) => {
        const s = a.toString() < b.toString() ? -1 : a.toString() > b.toString() ? 1 : 0;
        if (s !== compareAddresses(a, b)) differs = true;
      }),
      { numRuns: 500 },
    );
    expect(differs).toBe(true);
  });
});

describe("decoders on untrusted bytes", () => {
  const decoders: [string, (b: Uint8Array) => unknown][] = [
    ["address", (b) => Address.deserialize(new ByteReader(b))],
    ["address bytes", (b) => Address.fromBytes(b)],
    ["public key", (b) => PublicKey.deserialize(new ByteReader(b))],
    ["signature", (b) => Signature.deserialize(new ByteReader(b))],
    ["slot", (b) => Slot.deserialize(new ByteReader(b), 32)],
    ["amount", (b) => Amount.deserialize(new ByteReader(b), "amount")],
  ];
  for (const [name, decode] of decoders) {
    it(`${name}: random bytes decode or throw a DecodeError, nothing else`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
          try {
            decode(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        }),
        { numRuns: 1000 },
      );
    });
  }
  it("text decoders reject garbage with a DecodeError", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        for (const parse of [Address.fromString, PublicKey.fromString, Signature.fromString]) {
          try {
            parse(s);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
