/**
 * Typed errors shared by every massa-ts package. Each error carries a stable `code` so callers can
 * branch on it, and a message that names the thing that is wrong and, where possible, the fix.
 */
export class MassaTsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Untrusted bytes or text could not be decoded. `field` names what was being read. */
export class DecodeError extends MassaTsError {
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super("DECODE", `${field}: ${message}`, options);
    this.field = field;
  }
}

/** Amount arithmetic overflowed or went negative, or an amount text was malformed. */
export class AmountError extends MassaTsError {
  constructor(message: string) {
    super("AMOUNT", message);
  }
}

/** A value is outside what the model allows (bad slot, bad thread, bad config...). */
export class ModelsError extends MassaTsError {
  constructor(message: string) {
    super("MODELS", message);
  }
}
