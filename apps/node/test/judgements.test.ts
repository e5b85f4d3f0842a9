// Finding that we are out of step when finality stalls: a node restarted while its peers could not answer
// with their graph, and left behind by more than they keep, waits for parents no peer sends; after 20
// periods of it (with peers connected) it bootstraps again. Not when finality moves, not without peers,
// not without blocks waiting for parents, and only once.
import { Slot } from "@massa-ts/models";
import pino from "pino";
import { expect, it } from "vitest";
import { ManualClock } from "../src/node/clock.ts";
import { Judgements } from "../src/node/judgements.ts";

const T0 = 1000;

function judge(o: { missing: number; peers: number }) {
  const clock = new ManualClock(1_000_000);
  let fin = new Slot(24, 0);
  let outOfStep = 0;
  const j = new Judgements({
    t0: T0,
    clock,
    log: pino({ level: "silent" }),
    slotTime: (s) => s.period * T0,
    finalSlot: () => fin,
    missingParents: () => o.missing,
    peerCount: () => o.peers,
    onOutOfStep: () => outOfStep++,
  });
  /** Ticks every quarter period for `periods` periods. */
  const run = (periods: number) => {
    for (let i = 0; i < periods * 4; i++) {
      clock.advance(T0 / 4);
      j.settle();
    }
  };
  return { run, outOfStep: () => outOfStep, moveFinal: () => (fin = fin.next(4)) };
}

it("finality stalled 20 periods with peers and blocks missing parents: out of step, once", () => {
  const j = judge({ missing: 3, peers: 2 });
  j.run(19.5);
  expect(j.outOfStep()).toBe(0);
  j.run(1);
  expect(j.outOfStep()).toBe(1);
  j.run(40);
  expect(j.outOfStep()).toBe(1);
});

it("finality moving, no peers, or nothing missing: never out of step", () => {
  const moving = judge({ missing: 3, peers: 2 });
  for (let i = 0; i < 30; i++) {
    moving.run(1);
    moving.moveFinal();
  }
  expect(moving.outOfStep()).toBe(0);
  const alone = judge({ missing: 3, peers: 0 });
  alone.run(30);
  expect(alone.outOfStep()).toBe(0);
  const complete = judge({ missing: 0, peers: 2 });
  complete.run(30);
  expect(complete.outOfStep()).toBe(0);
});
