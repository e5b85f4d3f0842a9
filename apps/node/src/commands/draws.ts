import { readFileSync } from "node:fs";
import {
  drawCycleIndices,
  drawFromInput,
  drawLines,
  parseDrawsInput,
  sortRolls,
  toRollWeights,
} from "@massa-ts/pos-draws";
import type { Command } from "commander";
import { CliError } from "../errors.js";

export function registerDraws(program: Command): void {
  program
    .command("draws")
    .description(
      "compute one cycle's PoS draws (producer and endorsers of every slot), bit-identical to Massa's selector",
    )
    .requiredOption(
      "--input <file>",
      'JSON: {"cycle","periodsPerCycle","threadCount","endorsementCount","seed":"<64 hex>","genesisAddress":"AU…","rolls":{"AU…":count}}',
    )
    .option(
      "--bench",
      'print "draws core: stakers=N ms=X" (median of 5 runs of table build + sampling) instead of the draws',
    )
    .action((opts: { input: string; bench?: boolean }) => {
      let text: string;
      try {
        text = readFileSync(opts.input, "utf8");
      } catch (e) {
        throw new CliError(`cannot read ${opts.input}: ${(e as Error).message}`);
      }
      const input = parseDrawsInput(text);
      if (opts.bench) {
        const weights = toRollWeights(sortRolls(input.rolls).map(([, n]) => n));
        const ms: number[] = [];
        for (let i = 0; i < 5; i++) {
          const t = performance.now();
          drawCycleIndices(weights, input.seed, input.cycle, input.config);
          ms.push(performance.now() - t);
        }
        ms.sort((a, b) => a - b);
        process.stdout.write(`draws core: stakers=${weights.length} ms=${ms[2]!.toFixed(3)}\n`);
        return;
      }
      const out: string[] = [];
      for (const line of drawLines(drawFromInput(input))) out.push(line);
      process.stdout.write(`${out.join("\n")}\n`);
    });
}
