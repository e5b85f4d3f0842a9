import { FinalState } from "@massa-ts/final-state";
import { toHex } from "@massa-ts/models";
import type { Command } from "commander";

export function registerState(program: Command): void {
  program
    .command("state")
    .description("print a node's final state summary as JSON (opens the store read-only)")
    .requiredOption("--data-dir <dir>", "the node's data directory")
    .action(async (opts: { dataDir: string }) => {
      const fs = await FinalState.openExisting(opts.dataDir);
      try {
        const hash = fs.stateHash;
        const out = {
          lastFinalSlot: fs.lastFinalSlot?.toJSON() ?? null,
          finalStateFingerprint: hash.toString(),
          finalStateFingerprintHex: toHex(hash.fingerprint()),
          ledgerEntries: fs.countLedgerEntries(),
          cycles: fs.cycles(),
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } finally {
        await fs.close();
      }
    });
}
