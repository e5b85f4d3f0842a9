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

/** Starts the settling child, waits until it is settling, lets it run `ms`, then SIGKILLs it. */
async function runAndKill(path: string, ms: number): Promise<void> {
  const child = spawn(process.execPath, ["--conditions=@massa-ts/source", "--import", "tsx", CHILD, path], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`the settling child exited early (${code})`)));
  });
  await new Promise((r) => setTimeout(r, ms));
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

describe("crash safety", () => {
  it("after SIGKILLs at random moments, every restart finds whole slots and the hash of a clean replay", async () => {
    const path = join(dir, "victim");
    const replay = await FinalState.open({ path: join(dir, "replay"), chainId: 5n, threadCount: T });
    let replayed = -1;
    let last = -1;
    let recoveredFromJournal = 0;
    for (let round = 0; round < 8; round++) {
      await runAndKill(path, 50 + Math.floor(random() * 250));
      const fs = await FinalState.open({ path, chainId: 5n, threadCount: T });
      const k = fs.lastFinalSlot ? fs.lastFinalSlot.index(T) : -1;
      expect(k).toBeGreaterThanOrEqual(last);
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
    await replay.close();
  }, 120_000);
});
