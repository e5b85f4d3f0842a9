// The read-only budget's arithmetic on a stepped clock: a burst of twice the share, then calls wait until
// the bucket fills back at the share's pace.
import { expect, it } from "vitest";
import { ReadOnlyBudget } from "../src/node/read-only-budget.ts";

it("200 ms a second, bursts of 400: a 500 ms call empties it, the next waits 500 ms; time refills it", () => {
  let now = 0;
  const b = new ReadOnlyBudget(200, 400, () => now);
  expect(b.waitMs()).toBe(0);
  b.spend(500); // 400 − 500 = −100 ms: half a second of refill to get back to zero
  expect(b.waitMs()).toBe(501);
  now += 499;
  expect(b.waitMs()).toBeGreaterThan(0);
  now += 2;
  expect(b.waitMs()).toBe(0);
  // never more than the burst saved up
  now += 60_000;
  b.spend(399);
  expect(b.waitMs()).toBe(0);
  b.spend(2);
  expect(b.waitMs()).toBe(6);
});
