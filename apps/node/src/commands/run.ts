import type { Command } from "commander";
import { loadNodeConfig } from "../node/config.js";
import { runNode } from "../node/run.js";

/** Stops on SIGINT/SIGTERM: the clock stops, the final state is drained to disk, then the process exits. */
export function stopOnSignals(stop: () => Promise<void>): void {
  const handler = (sig: string) => {
    process.stderr.write(`${sig}: stopping…\n`);
    void stop();
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run a node from a TOML config (see the README's config reference)")
    .requiredOption("--config <file>", "the node's config.toml")
    .action(async (opts: { config: string }) => {
      const running = await runNode(loadNodeConfig(opts.config));
      stopOnSignals(running.stop);
      await running.stopped;
    });
}
