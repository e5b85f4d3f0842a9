// The error every final-state refusal throws (its codes are listed where each one is thrown).
import { MassaTsError } from "@massa-ts/models";

/** A final-state operation refused: wrong slot order, another chain's data dir, corrupt metadata. */
export class FinalStateError extends MassaTsError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}
