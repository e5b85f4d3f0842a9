// The pool's order as the tests state it, written apart from the code under test: fee, highest first, then
// operation id (Massa's pool keeps the best fees).
import type { SignedOperation } from "@massa-ts/models";

export const poolRule = (a: SignedOperation, b: SignedOperation): number =>
  a.content.fee.nano !== b.content.fee.nano
    ? a.content.fee.nano > b.content.fee.nano
      ? -1
      : 1
    : a.id.key < b.id.key
      ? -1
      : 1;
