// The load generator's batching rule: what one turn of a sender thread's loop sends (expected values worked
// by hand from the rule: full batches of 100 owed, a partial one after 100 ms, four calls in flight at most).
import { describe, expect, it } from "vitest";
import { batchesDue } from "../src/load/batches.ts";

describe("load: batches a sender's turn makes", () => {
  it("sends every full batch owed in one turn, not one a turn (a late turn must not cap the rate)", () => {
    expect(batchesDue(350, 0, 0)).toEqual({ sizes: [100, 100, 100], owedLeft: 50 });
  });
  it("holds a partial batch until 100 ms after the last call, then sends it whole", () => {
    expect(batchesDue(50, 30, 0)).toEqual({ sizes: [], owedLeft: 50 });
    expect(batchesDue(50, 120, 0)).toEqual({ sizes: [50], owedLeft: 0 });
    expect(batchesDue(30.5, 150, 0)).toEqual({ sizes: [30], owedLeft: 0.5 });
  });
  it("leaves the remainder after full batches for a later call", () => {
    expect(batchesDue(250, 150, 0)).toEqual({ sizes: [100, 100], owedLeft: 50 });
  });
  it("keeps at most four calls in flight and caps what stays owed at four batches", () => {
    expect(batchesDue(1000, 0, 2)).toEqual({ sizes: [100, 100], owedLeft: 400 });
    expect(batchesDue(900, 0, 0)).toEqual({ sizes: [100, 100, 100, 100], owedLeft: 400 });
    expect(batchesDue(120, 500, 4)).toEqual({ sizes: [], owedLeft: 120 });
  });
});
