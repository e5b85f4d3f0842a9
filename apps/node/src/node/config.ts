import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import { parsePeerAddress } from "@massa-ts/protocol";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { CliError } from "../errors.js";

const hostPort = z.string().regex(/^[^:\s]+:\d{1,5}$/, 'must be "host:port", e.g. "127.0.0.1:33035"');
/** "host:port" or "N…@host:port" (a node id pinned). */
const peerAddress = z.string().superRefine((text, ctx) => {
  try {
    parsePeerAddress(text);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
  }
});

/** The node's TOML configuration; every key has a default (see the README's config reference). */
export const NodeConfigSchema = z
  .object({
    /** Where the final state lives (LMDB). Relative paths are relative to the config file. */
    data_dir: z.string().default("./data"),
    /** Chain id: part of every operation id (77 = sandbox). Below 2^53 so that JSON keeps it exact. */
    chain_id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(77),
    /** Genesis time, ms since the Unix epoch. */
    genesis_timestamp: z.number().int().min(0),
    /** One period, ms. */
    t0: z.number().int().min(100).max(3_600_000).default(16_000),
    thread_count: z
      .number()
      .int()
      .refine((n) => n >= 1 && n <= 32 && (n & (n - 1)) === 0, "must be a power of two between 1 and 32")
      .default(32),
    periods_per_cycle: z.number().int().min(2).max(1_000_000).default(128),
    endorsement_count: z.number().int().min(0).max(64).default(16),
    /** Finality threshold (fitness). Default 64 × (endorsement_count + 1). */
    delta_f0: z.number().int().min(1).optional(),
    operation_validity_periods: z.number().int().min(1).default(10),
    /**
     * After a network-wide stop: the period the network restarts at (the same on every node, none in the
     * future). A final state before it settles the downtime up to the slot before it as missed by everyone
     * (Massa's `interpolate_downtime`); a final state already past it restarts as usual.
     */
    last_start_period: z.number().int().min(1).optional(),
    block_reward: z.string().default("0.40001"),
    roll_price: z.string().default("100"),
    /** Operations with a lower fee are refused by send_operations and the pool. */
    minimal_fees: z.string().default("0"),
    /** Initial ledger (Massa's initial_ledger.json) and rolls (initial_rolls.json). */
    initial_ledger: z.string().default("./initial_ledger.json"),
    initial_rolls: z.string().default("./initial_rolls.json"),
    /** JSON array of secret keys ("S…") this node stakes with (produces blocks and endorsements). */
    staking_keys: z.string().optional(),
    /** Secret key of the genesis blocks' creator (the same on every node of a network). */
    genesis_key: z.string(),
    api: z
      .object({
        public: hostPort.default("127.0.0.1:33035"),
        /**
         * Massa's APIv2 (its methods tagged `api`, and WebSocket subscriptions); Massa's port is 33036. Unset:
         * not served.
         */
        v2: hostPort.optional(),
        /** Unsent bytes an APIv2 subscriber may hold before it is dropped (it stopped reading). */
        v2_max_buffered_bytes: z.number().int().min(1024).max(1_000_000_000).default(16_000_000),
        /** Private API and /metrics: loopback only. */
        private: hostPort
          .default("127.0.0.1:33034")
          .refine(
            (a) => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1):/.test(a),
            "the private API listens on loopback only",
          ),
        max_body_bytes: z.number().int().min(1024).max(50_000_000).default(10_000_000),
        max_batch: z.number().int().min(1).max(128).default(16),
        /** Open connections per API server at most; more are refused at once. */
        max_connections: z.number().int().min(1).max(100_000).default(256),
        /** Open connections one client IP may hold on the public APIs (the private one is loopback only). */
        max_connections_per_ip: z.number().int().min(1).max(100_000).default(64),
        /**
         * Milliseconds of the node's thread per second that read-only executions may take, all clients
         * together (ours): contracts run on that thread, and a call of a block's gas holds it a tenth to a
         * third of a second. Past it, calls answer an error saying when to retry. Bursts up to twice as much.
         */
        read_only_ms_per_second: z.number().int().min(10).max(1000).default(200),
        /** JSON bytes one request's answer may reach (Massa's max_response_body_size). */
        max_response_bytes: z.number().int().min(100_000).max(500_000_000).default(50_000_000),
      })
      .default({}),
    network: z
      .object({
        /** Where peers connect ("host:port"); empty string: no listening. */
        listen: z.string().default(""),
        /**
         * Peers to keep a connection to: "host:port", or "N…@host:port" pinning the node id that must answer
         * there (a node bootstraps its state again only from a pinned peer).
         */
        peers: z.array(peerAddress).max(256).default([]),
        /**
         * The node to bootstrap the final state and graph from when the data dir is empty, pinned:
         * "N…@host:port" (its node id is in its get_status and its "p2p listening" log line).
         */
        bootstrap: peerAddress
          .refine((a) => a.includes("@"), {
            message:
              'must pin the server\'s node id: "N…@host:port" (its get_status node_id): a bare "host:port" would take the state from whoever answers there',
          })
          .optional(),
        /** This node's identity key ("S…"); generated and kept in data_dir/node_key when absent. */
        node_key: z.string().optional(),
        max_messages_per_second: z.number().int().min(10).default(5000),
        /** Connections at most; slots stay free for the configured peers not connected yet. */
        max_peers: z.number().int().min(1).max(1024).default(64),
        /** Bootstrap sessions (state streams started or resumed, graphs) one IP may open per minute. */
        bootstrap_sessions_per_ip_per_minute: z.number().int().min(1).default(10),
        /** Inbound connections from one IP at most (a local devnet's configs raise it). */
        max_peers_per_ip: z.number().int().min(1).max(1024).default(8),
        /** Operations per second a peer may relay (token bucket, burst ×2); beyond: banned for flooding. */
        max_operations_per_second: z.number().int().min(10).default(10_000),
        /**
         * Worker threads verifying signatures of submitted and relayed operations and of blocks (0: on the
         * main thread). Default: one per core (at most 16), so that a burst of submissions is checked on
         * every core; idle workers cost nothing.
         */
        verify_threads: z.number().int().min(0).max(16).default(Math.min(16, availableParallelism())),
        ban_minutes: z.number().min(0).default(10),
      })
      .default({}),
    pool: z
      .object({
        max_operations: z.number().int().min(1).max(1_000_000).default(100_000),
        /** Serialized operation bytes the pool holds at most (a transfer is ~150 bytes, an operation ≤ 300 000). */
        max_bytes: z
          .number()
          .int()
          .min(1_000_000)
          .max(4_000_000_000)
          .default(128 * 1024 * 1024),
        /**
         * Operations one sender address may have in the pool (Massa has no such bound). 1 000: a sender's
         * thread has 10 blocks in an operation's validity window, so a wallet rarely has more waiting, and one
         * funded address takes at most 1 % of the default pool (filling it takes 100, each paying for its own).
         */
        max_operations_per_sender: z.number().int().min(1).max(1_000_000).default(1000),
        /**
         * How far ahead, in ms, an operation's validity window (`expire_period − operation_validity_periods`
         * onward) may start (Massa's pool `operation_max_future_start_delay`, 50 s): the pool refuses an
         * operation expiring after the current period + operation_validity_periods + this delay in periods + 2.
         */
        operation_max_future_start_delay: z.number().int().min(0).max(3_600_000).default(50_000),
      })
      .default({}),
    log_level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  })
  .strict();

export type NodeConfig = z.infer<typeof NodeConfigSchema> & { delta_f0: number; configDir: string };

/** Reads and validates a TOML config; errors name the file and the key. Paths become absolute. */
export function loadNodeConfig(path: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CliError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (e) {
    throw new CliError(`${path}: not valid TOML: ${(e as Error).message.split("\n")[0]}`);
  }
  return validateNodeConfig(raw, path);
}

export function validateNodeConfig(raw: unknown, path: string): NodeConfig {
  const r = NodeConfigSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new CliError(`${path}: ${i.path.join(".") || "(top level)"}: ${i.message}`);
  }
  const dir = dirname(resolve(path));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  const c = r.data;
  return {
    ...c,
    data_dir: abs(c.data_dir),
    initial_ledger: abs(c.initial_ledger),
    initial_rolls: abs(c.initial_rolls),
    ...(c.staking_keys ? { staking_keys: abs(c.staking_keys) } : {}),
    delta_f0: c.delta_f0 ?? 64 * (c.endorsement_count + 1),
    configDir: dir,
  };
}
