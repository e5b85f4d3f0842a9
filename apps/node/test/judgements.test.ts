// Finding that we are out of step when finality stalls: a node restarted while its peers could not answer
// with their graph, and left behind by more than they keep, waits for parents no peer sends; after 20
// periods of it (with peers connected) it bootstraps again. Not when finality moves, not without peers,
// not without blocks waiting for parents, and only once. And a final state two cycles behind the clock (the
// current draws unknown): bootstrapping again from the peers that produce with those draws, or, when none
// does, saying how to restart the network.
import { type PublicKey, SecretKey, Slot } from "@massa-ts/models";
import type { Peer } from "@massa-ts/protocol";
import pino from "pino";
import { expect, it } from "vitest";
import { ManualClock } from "../src/node/clock.ts";
import { Judgements } from "../src/node/judgements.ts";

const T0 = 1000;

/** Cycles of 32 periods; with `drawsUpTo`, draws are known up to that cycle (else for every cycle). */
function judge(o: { missing: number; peers: number; drawsUpTo?: number }) {
  // the clock starts at period 1 000 (t = period × T0)
  const clock = new ManualClock(1_000_000);
  let fin = new Slot(24, 0);
  let outOfStep = 0;
  let preferred: readonly PublicKey[] = [];
  const errors: string[] = [];
  const log = pino(
    { level: "error" },
    {
      write: (line: string) => {
        errors.push((JSON.parse(line) as { msg: string }).msg);
      },
    },
  );
  const j = new Judgements({
    t0: T0,
    clock,
    log,
    slotTime: (s) => s.period * T0,
    finalSlot: () => fin,
    missingParents: () => o.missing,
    peerCount: () => o.peers,
    currentSlot: () => new Slot(Math.floor(clock.now() / T0), 0),
    drawsKnown: (s) => o.drawsUpTo === undefined || Math.floor(s.period / 32) <= o.drawsUpTo,
    onOutOfStep: (prefer) => {
      outOfStep++;
      preferred = prefer ?? [];
    },
  });
  /** Ticks every quarter period for `periods` periods. */
  const run = (periods: number) => {
    for (let i = 0; i < periods * 4; i++) {
      clock.advance(T0 / 4);
      j.settle();
    }
  };
  return {
    j,
    clock,
    run,
    errors,
    outOfStep: () => outOfStep,
    preferred: () => preferred,
    moveFinal: () => (fin = fin.next(4)),
  };
}

/** A connected peer as the judgements see it: its proven node key. */
const peerWith = (key: PublicKey) => ({ publicKey: key }) as Peer;

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

it("current draws unknown and a peer producing with them: out of step, that peer first", () => {
  // final state in cycle 29, clock at period 1 000 (cycle 31): draws known up to cycle 30 only
  const t = judge({ missing: 0, peers: 3, drawsUpTo: 30 });
  const ahead = SecretKey.generate().publicKey;
  const behind = SecretKey.generate().publicKey;
  // a header of a past slot of cycle 31 (draws unknown) from `ahead`; one of cycle 30 (known) from
  // `behind`; one of a slot still to come from `behind`: only the first says its sender is ahead
  t.j.headerChecked(peerWith(ahead), new Slot(995, 1));
  t.j.headerChecked(peerWith(behind), new Slot(990, 1));
  t.j.headerChecked(peerWith(behind), new Slot(1_010, 1));
  t.run(10);
  // it keeps producing (a header counts for 20 periods)
  t.j.headerChecked(peerWith(ahead), new Slot(1_009, 2));
  t.run(9.5);
  expect(t.outOfStep()).toBe(0);
  t.run(1);
  expect(t.outOfStep()).toBe(1);
  expect(t.preferred().map(String)).toEqual([ahead.toString()]);
  t.run(40);
  expect(t.outOfStep()).toBe(1);
});

it("current draws unknown and no peer ahead: no bootstrap, the restart with last_start_period is named every 20 periods", () => {
  const t = judge({ missing: 0, peers: 3, drawsUpTo: 30 });
  // the peer's header is older than 20 periods when finality has stalled that long: it no longer counts
  t.j.headerChecked(peerWith(SecretKey.generate().publicKey), new Slot(999, 3));
  t.run(20.5);
  expect(t.outOfStep()).toBe(0);
  expect(t.errors).toHaveLength(1);
  expect(t.errors[0]).toContain("last_start_period");
  t.run(19.5);
  expect(t.errors).toHaveLength(1);
  t.run(1);
  expect(t.errors).toHaveLength(2);
  expect(t.outOfStep()).toBe(0);
});
