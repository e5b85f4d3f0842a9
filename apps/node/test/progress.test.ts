// The bootstrap progress bar: percent, counts, rate and ETA from a fake clock; drawn only on a terminal, at
// most once per interval; holds below 100 % while the total is only an estimate.
import { describe, expect, it } from "vitest";
import { ProgressBar } from "../src/node/progress.ts";

function terminal(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, columns: 200, write: (t: string) => out.push(t) > 0 } };
}

describe("ProgressBar", () => {
  it("reports percent, counts, rate and ETA", () => {
    let t = 1_000_000;
    const { stream } = terminal(true);
    const bar = new ProgressBar("bootstrap", stream, 100, () => t);
    t += 2000; // 2 s for 400 000 of 1 000 000: 200 000/s, 3 s left
    const line = bar.line(400_000, 1_000_000);
    expect(line).toMatch(/^bootstrap \[#{12}\.{18}\] {2}40%/);
    expect(line).toContain("400 000 / ~1 000 000");
    expect(line).toContain("200 000/s");
    expect(line).toMatch(/ETA 3 s$/);
    // an underestimated total: never 100 % (nor beyond) before the end
    expect(bar.line(1_200_000, 1_000_000)).toMatch(/\[#{30}\] {2}99%/);
  });

  it("draws on a terminal at most once per interval, and never elsewhere", () => {
    let t = 0;
    const tty = terminal(true);
    const bar = new ProgressBar("b", tty.stream, 100, () => t);
    bar.update(1, 10);
    t += 50;
    bar.update(2, 10); // within the interval: skipped
    t += 60;
    bar.update(3, 10);
    bar.finish("3 records");
    expect(tty.out).toHaveLength(3);
    expect(tty.out[0]).toMatch(/^\rb \[#{3}\.{27}\] {2}10%/);
    expect(tty.out[1]).toMatch(/^\rb \[#{9}\.{21}\] {2}30%/);
    expect(tty.out[2]).toBe("\rb: 3 records\x1b[K\n");

    const pipe = terminal(false);
    const quiet = new ProgressBar("b", pipe.stream, 100, () => t);
    quiet.update(5, 10);
    quiet.finish("done");
    expect(pipe.out).toEqual([]);
  });
});
