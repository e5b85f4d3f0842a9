// The inclusion index's ids by sender against the rule it stands for: of every id recorded, the newest `max`
// over all senders are held, and a sender's answer is its newest held ids, oldest first (a plain list of
// every (sender, id) recorded, cut to its last `max`, is the reference). Randomized, seeded.
import { seededRandom } from "@massa-ts/models/testing";
import { expect, it } from "vitest";
import { SenderIndex } from "../src/node/inclusion-index.ts";

it("holds the newest ids over all senders, each sender's newest first-in-order", () => {
  const random = seededRandom("sender-index");
  for (const max of [1, 7, 100, 3000]) {
    const index = new SenderIndex(max);
    const all: [string, string][] = [];
    const senders = 1 + Math.floor(random() * 40);
    for (let i = 0; i < 5000; i++) {
      // some senders send much more than others
      const s = `s${Math.floor(random() ** 3 * senders)}`;
      index.add(s, `op${i}`);
      all.push([s, `op${i}`]);
      if (i % 97 === 0 || i === 4999) {
        const held = all.slice(-max);
        expect(index.size).toBe(held.length);
        for (let k = 0; k < senders; k++) {
          const mine = held.filter(([x]) => x === `s${k}`).map(([, id]) => id);
          expect(index.last(`s${k}`, 1000)).toEqual(mine.slice(-1000));
          expect(index.last(`s${k}`, 3)).toEqual(mine.slice(-3));
        }
      }
    }
  }
  expect(new SenderIndex(5).last("nobody", 10)).toEqual([]);
});
