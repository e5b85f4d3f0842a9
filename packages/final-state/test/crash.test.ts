import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FinalState } from "@massa-ts/final-state";
import { Slot, toHex } from "@massa-ts/models";
import { seededRandom } from "@massa-ts/models/testing";
import { afterAll, describe, expect, it } from "vitest";
import { crashChanges } from "./fixtures/changes.ts";

const dir = mkdtempSync(join(tmpdir(), "massa-ts-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CHILD = fileURLToPath(new URL("./fixtures/settle-loop.ts", import.meta.url));
const T = 4;
const random = seededRandom("crash");

/**
 * Starts the settling child, waits until it is settling, lets it run `ms`, then SIGKILLs it; with
 * `atReport`, kills it as soon as it reports its `atReport`-th slot on disk instead (the moment a flush
 * that resolved too early would lose the slot). Returns the last slot index the child reported on disk
 * (`FinalState.flushed`), or -1.
 */
async function runAndKill(path: string, ms: number, atReport?: number): Promise<number> {
  const child = spawn(process.execPath, ["--conditions=@massa-ts/source", "--import", "tsx", CHILD, path], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((r) => child.once("exit", r));
  let durable = -1;
  let reports = 0;
  let text = "";
  child.stdout.on("data", (d: Buffer) => {
    text += d.toString();
    for (const m of text.matchAll(/^durable (\d+)$/gm)) {
      durable = Math.max(durable, Number(m[1]));
      if (++reports === atReport) child.kill("SIGKILL");
    }
    text = text.slice(text.lastIndexOf("\n") + 1);
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`the settling child exited early (${code})`)));
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
  child.kill("SIGKILL");
  await exited;
  return durable;
}

describe("crash safety", () => {
  it("after SIGKILLs at random moments, every restart finds whole slots, every slot reported flushed and the hash of a clean replay", async () => {
    const path = join(dir, "victim");
    const replay = await FinalState.open({ path: join(dir, "replay"), chainId: 5n, threadCount: T });
    let replayed = -1;
    let last = -1;
    let recoveredFromJournal = 0;
    let flushedSeen = 0;
    for (let round = 0; round < 8; round++) {
      const durable =
        round % 2 === 0
          ? await runAndKill(path, 50 + Math.floor(random() * 250))
          : await runAndKill(path, 10_000, 1 + Math.floor(random() * 8));
      const fs = await FinalState.open({ path, chainId: 5n, threadCount: T });
      const k = fs.lastFinalSlot ? fs.lastFinalSlot.index(T) : -1;
      expect(k).toBeGreaterThanOrEqual(last);
      // settleSlot returns before the disk has the slot; flushed() waits for it: nothing it covered is lost
      expect(k).toBeGreaterThanOrEqual(durable);
      if (durable >= 0) flushedSeen++;
      // Slots settled in the journal but not yet applied to the B-tree when the child died.
      if (fs.backlog.records > 0) recoveredFromJournal++;
      last = k;
      // No half-applied slot: the stored hash is the hash of the stored content…
      expect(toHex(fs.recomputeHash().bytes)).toBe(toHex(fs.stateHash.bytes));
      // …and equals a clean replay of slots 0..k.
      for (replayed++; replayed <= k; replayed++) {
        replay.settleSlot(Slot.fromIndex(replayed, T), { ledgerChanges: crashChanges(replayed) });
        if (replay.backlog.records > 256) await replay.drain();
      }
      replayed--;
      expect(toHex(fs.stateHash.bytes)).toBe(toHex(replay.stateHash.bytes));
      await fs.close();
    }
    expect(last).toBeGreaterThan(0);
    expect(recoveredFromJournal).toBeGreaterThan(0);
    expect(flushedSeen).toBeGreaterThan(0);
    await replay.close();
  }, 120_000);
});
