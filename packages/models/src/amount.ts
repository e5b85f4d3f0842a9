import { AmountError, DecodeError } from "./errors.js";
import type { ByteReader, ByteWriter } from "./reader.js";

const U64_MAX = (1n << 64n) - 1n;
const SCALE = 1_000_000_000n;
const DECIMALS = 9;

/**
 * An amount of MAS: an unsigned 64-bit count of nano-MAS. Arithmetic is checked: overflow and negative
 * results throw {@link AmountError}; the `saturating*` forms clamp instead (Massa uses them for block
 * credits and roll-sale credits). Text form is Massa's: a plain decimal, trailing zeros stripped.
 */
export class Amount {
  static readonly ZERO = new Amount(0n);
  static readonly MAX = new Amount(U64_MAX);
  /** nano-MAS */
  readonly nano: bigint;

  private constructor(nano: bigint) {
    this.nano = nano;
  }

  static fromNano(nano: bigint | number): Amount {
    const v = BigInt(nano);
    if (v < 0n || v > U64_MAX) throw new AmountError(`amount of ${v} nano-MAS is outside 0..2^64-1`);
    return v === 0n ? Amount.ZERO : new Amount(v);
  }

  /**
   * Parses a decimal MAS string (`"100"`, `"0.40001"`). At most 9 significant decimals, no sign, no
   * exponent, no digit separators. Extra trailing zeros beyond 9 decimals are accepted (still exact).
   */
  static fromMas(text: string): Amount {
    const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
    if (!m || text.length > 64) {
      throw new AmountError(`"${text.slice(0, 40)}" is not a decimal MAS amount (e.g. "1.5")`);
    }
    let frac = m[2] ?? "";
    if (frac.length > DECIMALS) {
      if (!/^0*$/.test(frac.slice(DECIMALS))) {
        throw new AmountError(`"${text}" has more than ${DECIMALS} decimals (1 nano-MAS = 0.000000001)`);
      }
      frac = frac.slice(0, DECIMALS);
    }
    const nano = BigInt(m[1]!) * SCALE + BigInt(frac.padEnd(DECIMALS, "0") || "0");
    if (nano > U64_MAX) throw new AmountError(`"${text}" exceeds the maximum amount ${Amount.MAX}`);
    return Amount.fromNano(nano);
  }

  toString(): string {
    const int = this.nano / SCALE;
    const frac = this.nano % SCALE;
    if (frac === 0n) return int.toString();
    return `${int}.${frac.toString().padStart(DECIMALS, "0").replace(/0+$/, "")}`;
  }

  toJSON(): string {
    return this.toString();
  }

  isZero(): boolean {
    return this.nano === 0n;
  }

  add(other: Amount): Amount {
    const v = this.nano + other.nano;
    if (v > U64_MAX) throw new AmountError(`${this} + ${other} overflows`);
    return new Amount(v);
  }

  sub(other: Amount): Amount {
    if (other.nano > this.nano) throw new AmountError(`${this} - ${other} is negative`);
    return Amount.fromNano(this.nano - other.nano);
  }

  /** Multiplies by a non-negative integer factor (e.g. roll count × roll price). */
  mul(factor: bigint | number): Amount {
    const f = BigInt(factor);
    if (f < 0n) throw new AmountError(`cannot multiply ${this} by negative ${f}`);
    const v = this.nano * f;
    if (v > U64_MAX) throw new AmountError(`${this} × ${f} overflows`);
    return Amount.fromNano(v);
  }

  /** Integer division by a positive integer; returns the quotient (remainder dropped). */
  div(divisor: bigint | number): Amount {
    const d = BigInt(divisor);
    if (d <= 0n) throw new AmountError(`cannot divide ${this} by ${d}`);
    return Amount.fromNano(this.nano / d);
  }

  saturatingAdd(other: Amount): Amount {
    const v = this.nano + other.nano;
    return v > U64_MAX ? Amount.MAX : new Amount(v);
  }

  saturatingSub(other: Amount): Amount {
    return other.nano >= this.nano ? Amount.ZERO : new Amount(this.nano - other.nano);
  }

  saturatingMul(factor: bigint | number): Amount {
    const v = this.nano * BigInt(factor);
    return v > U64_MAX ? Amount.MAX : Amount.fromNano(v);
  }

  compare(other: Amount): number {
    return this.nano < other.nano ? -1 : this.nano > other.nano ? 1 : 0;
  }

  lt(other: Amount): boolean {
    return this.nano < other.nano;
  }

  equals(other: Amount): boolean {
    return this.nano === other.nano;
  }

  static min(a: Amount, b: Amount): Amount {
    return a.nano <= b.nano ? a : b;
  }

  serialize(w: ByteWriter): void {
    w.varint(this.nano);
  }

  static deserialize(r: ByteReader, field: string): Amount {
    try {
      return Amount.fromNano(r.readVarint(field));
    } catch (e) {
      if (e instanceof DecodeError) throw e;
      throw new DecodeError(field, (e as Error).message);
    }
  }
}
