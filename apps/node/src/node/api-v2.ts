// Massa's APIv2 (its own port): the HTTP methods tagged `api` in Massa's OpenRPC document, and the same over
// WebSocket together with the subscriptions `subscribe_new_blocks`, `subscribe_new_blocks_headers`,
// `subscribe_new_filled_blocks` and `subscribe_new_operations` (jsonrpsee's protocol: the subscription id
// as the result, then notifications `new_blocks` … with `{subscription, result}`). Every connection is
// bounded: at most 64 subscriptions, and a subscriber whose unsent bytes pass `maxBufferedBytes` (it stopped
// reading) is dropped, never buffered without limit.
import type { Server } from "node:http";
import type { ConsensusBlock } from "@massa-ts/consensus";
import type { SignedOperation } from "@massa-ts/models";
import type { Logger } from "pino";
import { type WebSocket, WebSocketServer } from "ws";
import { headerJson, operationJson } from "./api-json.js";
import { call, type Handler, type Json, ResponseBudget, RpcCode } from "./rpc-server.js";

const KINDS = ["new_blocks", "new_blocks_headers", "new_filled_blocks", "new_operations"] as const;
type Kind = (typeof KINDS)[number];
const MAX_SUBSCRIPTIONS_PER_CONNECTION = 64;

/** The methods of Massa's APIv2 that are served over HTTP too. */
export const API_V2_METHODS = ["get_version", "get_largest_stakers", "get_next_block_best_parents"] as const;

export interface ApiV2Options {
  /** Unsent bytes a subscriber may hold before it is dropped. */
  readonly maxBufferedBytes: number;
  /** Largest WebSocket message a client may send. */
  readonly maxMessageBytes: number;
  readonly maxResponseBytes: number;
  readonly log: Logger;
}

export class ApiV2Hub {
  private readonly subs = new Map<number, { ws: WebSocket; kind: Kind }>();
  private readonly byKind = new Map<Kind, Set<number>>(KINDS.map((k) => [k, new Set()]));
  private wss: WebSocketServer | undefined;
  /** Subscribers dropped for not reading. */
  dropped = 0;

  constructor(private readonly o: ApiV2Options) {}

  /** Serves WebSocket upgrades on `server` (the APIv2 HTTP server) with `methods` plus the subscriptions. */
  attach(server: Server, methods: Map<string, Handler>): void {
    this.wss = new WebSocketServer({ server, maxPayload: this.o.maxMessageBytes });
    this.wss.on("connection", (ws) => {
      const mine = new Set<number>();
      ws.on("message", (data) => void this.onMessage(ws, mine, String(data), methods));
      ws.on("close", () => {
        for (const id of mine) this.unsubscribe(id);
      });
      ws.on("error", () => ws.terminate());
    });
  }

  /** A block this node accepted: to the `new_blocks`, `new_blocks_headers` and `new_filled_blocks` subscribers. */
  publishBlock(b: ConsensusBlock): void {
    if (this.byKind.get("new_blocks_headers")!.size > 0)
      this.publish("new_blocks_headers", () => headerJson(b.header));
    if (this.byKind.get("new_blocks")!.size > 0)
      this.publish("new_blocks", () => ({
        header: headerJson(b.header),
        operations: b.operations.map((o) => o.id.toString()),
      }));
    if (this.byKind.get("new_filled_blocks")!.size > 0)
      this.publish("new_filled_blocks", () => ({
        header: headerJson(b.header),
        operations: b.operations.map((o) => [o.id.toString(), operationJson(o)]),
      }));
  }

  /** An operation the pool took: to the `new_operations` subscribers. */
  publishOperation(op: SignedOperation): void {
    if (this.byKind.get("new_operations")!.size > 0) this.publish("new_operations", () => operationJson(op));
  }

  get subscriptions(): number {
    return this.subs.size;
  }

  close(): void {
    for (const ws of this.wss?.clients ?? []) ws.terminate();
    this.wss?.close();
  }

  private publish(kind: Kind, payload: () => Json): void {
    const body = JSON.stringify(payload());
    for (const id of [...this.byKind.get(kind)!]) {
      const s = this.subs.get(id);
      if (!s) continue;
      if (s.ws.bufferedAmount > this.o.maxBufferedBytes) {
        this.dropped++;
        this.o.log.warn(
          { subscription: id, kind, buffered: s.ws.bufferedAmount },
          "APIv2 subscriber not reading: dropped",
        );
        s.ws.terminate();
        this.unsubscribe(id);
        continue;
      }
      s.ws.send(`{"jsonrpc":"2.0","method":"${kind}","params":{"subscription":${id},"result":${body}}}`);
    }
  }

  private unsubscribe(id: number): boolean {
    const s = this.subs.get(id);
    if (!s) return false;
    this.subs.delete(id);
    this.byKind.get(s.kind)!.delete(id);
    return true;
  }

  private async onMessage(ws: WebSocket, mine: Set<number>, text: string, methods: Map<string, Handler>) {
    const reply = (o: Json) => ws.send(JSON.stringify(o));
    let req: unknown;
    try {
      req = JSON.parse(text);
    } catch (e) {
      reply({
        jsonrpc: "2.0",
        id: null,
        error: { code: RpcCode.parse, message: `parse error: ${(e as Error).message}` },
      });
      return;
    }
    const r = req as { id?: Json; method?: unknown; params?: unknown };
    const method = typeof r?.method === "string" ? r.method : "";
    const id = r?.id ?? null;
    const sub = /^subscribe_(.+)$/.exec(method)?.[1] as Kind | undefined;
    const unsub = /^unsubscribe_(.+)$/.exec(method)?.[1] as Kind | undefined;
    if (sub && KINDS.includes(sub)) {
      if (mine.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
        reply({
          jsonrpc: "2.0",
          id,
          error: {
            code: RpcCode.badRequest,
            message: `at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection`,
          },
        });
        return;
      }
      let sid: number;
      do sid = Math.floor(Math.random() * Number.MAX_SAFE_INTEGER);
      while (this.subs.has(sid));
      this.subs.set(sid, { ws, kind: sub });
      this.byKind.get(sub)!.add(sid);
      mine.add(sid);
      reply({ jsonrpc: "2.0", id, result: sid });
      return;
    }
    if (unsub && KINDS.includes(unsub)) {
      const p = Array.isArray(r.params) ? r.params[0] : r.params;
      const ok =
        typeof p === "number" && mine.has(p) && this.subs.get(p)?.kind === unsub && this.unsubscribe(p);
      if (ok) mine.delete(p as number);
      reply({ jsonrpc: "2.0", id, result: Boolean(ok) });
      return;
    }
    reply((await call(req, methods, new ResponseBudget(this.o.maxResponseBytes))) as Json);
  }
}
