import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Command } from "commander";
import { CliError } from "../errors.js";
import { runLoad } from "../load/run-load.js";
import { verifyRate } from "../load/yardstick.js";

interface LoadFlags {
  rpc?: string;
  tps: string;
  duration: string;
  accounts?: string;
  devnet?: string;
  threads?: string;
  senders: string;
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new CliError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

export function registerLoad(program: Command): void {
  program
    .command("load")
    .description(
      "send transfers to a node at a given rate (or find the highest it sustains) and report accepted and final rates, latency and refusals",
    )
    .option("--rpc <url>", "the node's public JSON-RPC API")
    .option("--tps <n|max>", "transfers offered per second, or max", "1000")
    .option("--duration <s>", "seconds of sending", "30")
    .option("--accounts <file>", "JSON list of funded accounts [{secretKey}] to send from")
    .option("--devnet <devnet.json>", "take the API address and the funded accounts from a devnet")
    .option("--threads <n>", "sender threads (default: the cores)")
    .option(
      "--senders <n>",
      "sending addresses, derived and funded from the accounts first (0: the accounts themselves)",
      "200",
    )
    .action(async (f: LoadFlags) => {
      let rpcUrl = f.rpc;
      let accounts: { secretKey: string }[] | undefined;
      if (f.devnet) {
        const d = readJson(f.devnet, "devnet file") as {
          nodes?: { publicApi: string }[];
          accounts?: { secretKey: string }[];
        };
        rpcUrl ??= d.nodes?.[0]?.publicApi;
        accounts = d.accounts;
      }
      if (f.accounts) accounts = readJson(f.accounts, "accounts file") as { secretKey: string }[];
      if (!rpcUrl)
        throw new CliError("give the node's API with --rpc URL (or a devnet with --devnet devnet.json)");
      if (
        !Array.isArray(accounts) ||
        accounts.length === 0 ||
        accounts.some((a) => typeof a?.secretKey !== "string")
      )
        throw new CliError('give funded accounts with --accounts FILE ([{"secretKey": "S1…"}]) or --devnet');
      const tps = f.tps === "max" ? "max" : Number(f.tps);
      if (tps !== "max" && !(Number.isFinite(tps) && tps > 0))
        throw new CliError(`--tps must be a positive number or max, got ${f.tps}`);
      const durationS = Number(f.duration);
      if (!(durationS > 0))
        throw new CliError(`--duration must be a positive number of seconds, got ${f.duration}`);
      const threads = f.threads ? Number(f.threads) : availableParallelism();
      if (!(Number.isInteger(threads) && threads > 0))
        throw new CliError(`--threads must be a positive integer, got ${f.threads}`);
      const senders = Number(f.senders);
      if (!(Number.isInteger(senders) && senders >= 0 && senders <= 65_536))
        throw new CliError(`--senders must be an integer from 0 to 65536, got ${f.senders}`);
      // the yardstick, measured before and after the run on this machine (figures vary 2× from day to day)
      const before = verifyRate(1000);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await runLoad({
        rpc: rpcUrl,
        accounts,
        senders,
        tps,
        durationS,
        threads,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stderr.write(
        `load: ${r.sent} accepted, ${r.final} final; refusals ${JSON.stringify(r.refusals)}${r.sustainedTps ? `; sustained ${r.sustainedTps}/s offered` : ""}\n`,
      );
      // what this process (signing, sending, following) took of the machine: on a shared box, the node
      // had the rest
      const cpu = process.cpuUsage(cpu0);
      const wallS = (performance.now() - t0) / 1000;
      process.stderr.write(
        `load generator: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of CPU in ${wallS.toFixed(1)} s (${((cpu.user + cpu.system) / 1e4 / wallS).toFixed(0)} % of one core)\n`,
      );
      const verify = Math.round((before + verifyRate(1000)) / 2);
      process.stderr.write(
        `yardstick: one core's crypto.verify ${verify}/s; final ${(r.txPerS / verify).toFixed(3)}×, accepted ${(r.acceptedPerS / verify).toFixed(3)}× the yardstick\n`,
      );
      process.stdout.write(
        `load: tx_per_s=${r.txPerS} accepted_per_s=${r.acceptedPerS} p50_ms=${r.p50Ms} p99_ms=${r.p99Ms}\n`,
      );
    });
}
