// The harness's side of `pnpm chaos --attacker`: the nodes' per-peer budget lowered so that a flood of many
// times it is cheap to sign, the attacker process (attacker.ts) spawned and stopped, and every honest node's
// bans (private API `node_bans`) collected all through the run, since a killed node forgets its bans. The
// verdict: no honest node banned (by its key, or by the IP they all share), no flooder banned, nothing from
// empty addresses pooled, every id answered once; the bans counted by reason.
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, createWriteStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pinnedAddress } from "@massa-ts/protocol";
import type { AttackCounts, AttackPlan } from "./attacker.ts";
import type { ChaosNode, Cluster } from "./cluster.ts";
import { call } from "./load.ts";

const ATTACKER = fileURLToPath(new URL("./attacker.ts", import.meta.url));

/**
 * `network.max_operations_per_second` in an attacker run (the default, 10 000, would take the attacker
 * 50 000 signatures a round to exceed several times over, more than this machine's two cores can sign while
 * running the nodes): the flood is one message of ten times this, five times the burst.
 */
export const ATTACK_BUDGET = 200;

/** What `runChaos` reports of an attacker run. */
export interface AttackResult {
  readonly counts?: AttackCounts;
  /** Bans seen on the honest nodes through the run, each (node, banned key) once, and by reason. */
  readonly bans: number;
  readonly byReason: Record<string, number>;
  readonly honestBanned: number;
}

/** The attacker process and the bans watch of one run. */
export class AttackRun {
  readonly bans = new BanWatch();
  private proc: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private out = "";
  private stopping = false;
  /** Set when the attacker exited by itself. */
  private early: string | undefined;
  private counts: AttackCounts | undefined;

  /** Lowers the staking nodes' per-peer budget (`[network]` is the last section of their configs). */
  constructor(
    private readonly dir: string,
    private readonly cluster: Cluster,
  ) {
    for (const n of cluster.nodes) appendFileSync(n.config, `max_operations_per_second = ${ATTACK_BUDGET}\n`);
  }

  /** Spawns the attacker against the staking nodes (its plan in dir/attacker-plan.json, log in attacker.log). */
  start(chain: { seed: number; t0: number; genesisTimestamp: number }): void {
    const plan: AttackPlan = {
      ...chain,
      chainId: 77,
      threadCount: 4,
      endorsementCount: 16,
      floodPerRound: 10 * ATTACK_BUDGET,
      roundMs: 5000,
      nodes: this.cluster.nodes.map((n) => ({
        name: n.name,
        p2p: pinnedAddress(n.nodeKey.publicKey, n.p2p),
        nodeKey: n.nodeKey.publicKey.toString(),
        publicApi: n.publicApi,
      })),
    };
    const planFile = join(this.dir, "attacker-plan.json");
    const log = join(this.dir, "attacker.log");
    writeFileSync(planFile, JSON.stringify(plan, null, 2));
    const proc = spawn(
      process.execPath,
      ["--conditions=@massa-ts/source", "--import", "tsx", ATTACKER, planFile],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NO_COLOR: "1" },
      },
    );
    proc.stderr!.pipe(createWriteStream(log, { flags: "a" }));
    proc.stdout!.on("data", (d: Buffer) => {
      this.out += d.toString();
    });
    this.exited = new Promise<void>((resolve) =>
      proc.once("exit", (code, signal) => {
        if (!this.stopping) this.early = `the attacker exited by itself (${signal ?? code}; see ${log})`;
        resolve();
      }),
    );
    this.proc = proc;
  }

  poll(): Promise<void> {
    return this.bans.poll(this.cluster.running(), this.cluster.nodes);
  }

  /** SIGTERM, and its counts (its last stdout line); once. */
  async stop(): Promise<void> {
    if (!this.proc || this.stopping) return;
    this.stopping = true;
    this.proc.kill("SIGTERM");
    const kill = setTimeout(() => this.proc?.kill("SIGKILL"), 15_000);
    await this.exited;
    clearTimeout(kill);
    try {
      this.counts = JSON.parse(this.out.trim().split("\n").at(-1) ?? "") as AttackCounts;
    } catch {
      this.counts = undefined;
    }
  }

  /** The bans once more, and why the run fails (undefined: it passed), beyond the harness's own checks. */
  async verdict(): Promise<string | undefined> {
    await this.poll();
    const [a, w] = [this.counts, this.bans];
    if (w.honestBans.length > 0) return `honest node banned: ${w.honestBans[0]}`;
    if (this.early) return this.early;
    if (!a) return "the attacker printed no counts";
    const flooders = w.bansOf(a.floodKeys);
    if (flooders.length > 0) return `a flooder was banned (volume is never a ban): ${flooders[0]}`;
    if (a.sendTaken > 0)
      return `${a.sendTaken} operations from empty addresses were taken by send_operations`;
    if (a.askMaxOps > 1) return `an askOps for one id got ${a.askMaxOps} operations`;
    if (a.getOpsMaxItems > 1) return `a get_operations of one id got ${a.getOpsMaxItems} items`;
    return undefined;
  }

  result(): AttackResult {
    return {
      ...(this.counts ? { counts: this.counts } : {}),
      bans: this.bans.bans.size,
      byReason: Object.fromEntries(this.bans.byReason()),
      honestBanned: this.bans.honestBans.length,
    };
  }

  /** The summary's attacker part. */
  summary(): string {
    const [a, w] = [this.counts, this.bans];
    const reasons = [...w.byReason()].map(([r, n]) => `${r} ${n}`).join(", ");
    const bans = `bans: ${w.bans.size}${reasons ? ` (${reasons})` : ""}; honest banned: ${w.honestBans.length}`;
    if (!a) return `attacker: no counts; ${bans}`;
    return (
      `attacker: ${a.rounds} rounds, ${a.keys} node keys; ` +
      `${a.largeOps} ops of 400 000 bytes relayed (${a.largeCut} senders cut), ` +
      `${a.askOps} askOps ×5000 (${a.askAnswers} answered, ≤${a.askMaxOps} op each), ` +
      `${a.getOpsBatches} get_operations batches 16×128 (${a.getOpsAnswers} answers, ≤${a.getOpsMaxItems} item each); ` +
      `${a.flooded} ops flooded at 10× the per-peer budget of ${ATTACK_BUDGET}/s ` +
      `(flooders kept ${a.floodKept}/${a.floodConnections} connections, ${w.bansOf(a.floodKeys).length} banned); ` +
      `${a.sendOps} send_operations from empty addresses (${a.sendTaken} taken, ${a.sendRefused} refused); ` +
      `headers: ${a.farHeaders} far ahead, ${a.undrawnHeaders} by undrawn keys; ${a.errors} request errors; ${bans}`
    );
  }
}

/** A ban reason's group: its rule, without ids and numbers. */
export function banGroup(reason: string): string {
  if (/more than a block's \d+/.test(reason)) return "operation over block size";
  const known =
    /bad creator turn|bad (header )?signature|operation reuse|did not supply its operation|frame of/.exec(
      reason,
    );
  if (known) return known[0];
  return reason
    .replace(/^(invalid block \S+|undecodable message): /, "")
    .replace(/\b[A-Z][1-9A-HJ-NP-Za-km-z]{30,}\b/g, "…")
    .replace(/\d+/g, "n")
    .slice(0, 48);
}

/** Every honest node's bans, polled through the run. */
export class BanWatch {
  /** "node banned-id" → reason, each ban once (a node restarted and banning the same key again counts once). */
  readonly bans = new Map<string, string>();
  readonly honestBans: string[] = [];
  /** Node key → name, of every honest node seen (joiners too). */
  private readonly honest = new Map<string, string>();

  async poll(running: readonly ChaosNode[], all: readonly ChaosNode[]): Promise<void> {
    for (const n of all) this.honest.set(n.nodeKey.publicKey.toString(), n.name);
    await Promise.all(
      running.map(async (n) => {
        let list: { id: string; reason: string }[];
        try {
          list = await call(n.privateApi, "node_bans", [], 3000);
        } catch {
          return; // starting, stopping or killed
        }
        for (const b of list) {
          const k = `${n.name} ${b.id}`;
          if (this.bans.has(k)) continue;
          this.bans.set(k, b.reason);
          // every honest node connects from 127.0.0.1: a ban by IP shuts them all out
          const who = this.honest.get(b.id) ?? (b.id.startsWith("P") ? undefined : `IP ${b.id}`);
          if (who) this.honestBans.push(`${n.name} banned ${who}: ${b.reason}`);
        }
      }),
    );
  }

  byReason(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.bans.values()) out.set(banGroup(r), (out.get(banGroup(r)) ?? 0) + 1);
    return new Map([...out].sort((a, b) => b[1] - a[1]));
  }

  /** Bans of these node keys (the flooders'), with a reason. */
  bansOf(keys: readonly string[]): string[] {
    const set = new Set(keys);
    return [...this.bans].filter(([k]) => set.has(k.slice(k.indexOf(" ") + 1))).map(([k, r]) => `${k}: ${r}`);
  }
}
