// `pnpm chaos [--minutes M] [--nodes N] [--seed S] [--attacker] …`: runs the agreement harness
// (chaos/harness.ts) and prints one summary line; exits 1 on the first disagreement (with --attacker, also
// on a ban of an honest node). Each node's log: <dir>/node-i/node.log; the attacker's: <dir>/attacker.log.
import { Command } from "commander";
import { runChaos } from "./harness.ts";

const program = new Command()
  .name("chaos")
  .description("N nodes as separate processes, load and seeded faults; fails on the first disagreement")
  .option("--minutes <m>", "run length", "3")
  .option("--nodes <n>", "staking nodes", "4")
  .option("--seed <s>", "seed of the fault schedule and the load (default: random, printed)")
  .option("--t0 <ms>", "period length", "1000")
  .option("--rate <ops>", "operations sent per second", "10")
  .option("--fault-every <s>", "mean seconds between faults", "6")
  .option(
    "--bootstraps <n>",
    "nodes bootstrapping into the running network (default: 1 per 4 min, at least 1)",
  )
  .option("--partitions <n>", "partitions that heal (default: 1 per 4 min, at least 1)")
  .option("--restarts <n>", "whole-network stops and restarts (default: 1 per 5 min, at least 1)")
  .option("--long-stops <n>", "stops past the graph's horizon (~75 periods each; default: 1 per 5 min)")
  .option(
    "--attacker",
    "an attacker process against every node all along (issue 17's items 1, 2, 4, header spam); fails if an honest node is banned",
  )
  .option("--dir <dir>", "where the devnet and the node logs go (default: a temporary directory)");
program.parse();
const o = program.opts<Record<string, string | undefined>>();
const { attacker } = program.opts<{ attacker?: boolean }>();
const num = (v: string | undefined, name: string, d: number) => {
  const n = v === undefined ? d : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${v}`);
  return n;
};
const minutes = num(o.minutes, "minutes", 3);
const seed = num(o.seed, "seed", Math.floor(Math.random() * 2 ** 31));
const result = await runChaos({
  minutes,
  nodes: num(o.nodes, "nodes", 4),
  seed,
  t0: num(o.t0, "t0", 1000),
  rate: num(o.rate, "rate", 10),
  faultEvery: num(o.faultEvery, "fault-every", 6),
  bootstraps: num(o.bootstraps, "bootstraps", Math.max(1, Math.round(minutes / 4))),
  partitions: num(o.partitions, "partitions", Math.max(1, Math.round(minutes / 4))),
  restarts: num(o.restarts, "restarts", Math.max(1, Math.round(minutes / 5))),
  longStops: num(o.longStops, "long-stops", Math.floor(minutes / 5)),
  ...(attacker ? { attacker: true } : {}),
  ...(o.dir ? { dir: o.dir } : {}),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${result.summary}\n`);
process.exit(result.ok ? 0 : 1);
