// A JSON-RPC 2.0 server over HTTP POST: bounded bodies, batches and answers (a per-request budget), typed
// errors with Massa's codes. The methods come from api-public.ts and api-private.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo as NetAddress } from "node:net";
import { MassaTsError } from "@massa-ts/models";

/** JSON-RPC error codes (Massa's `massa-api` plus the standard ones). */
export const RpcCode = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  badRequest: -32000,
  internal: -32001,
  notFound: -32004,
  execution: -32010,
  models: -32013,
  inconsistency: -32016,
  pool: -32021,
} as const;

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * What one HTTP request (a call or a whole batch) may cost to answer: handlers that return large items
 * charge their size before building them, so a request asking for too much fails with a clear error
 * instead of building the answer (Massa bounds its response bodies the same way, 50 MB by default).
 */
export class ResponseBudget {
  private used = 0;
  constructor(readonly maxBytes: number) {}

  charge(bytes: number, what: string): void {
    this.used += bytes;
    if (this.used > this.maxBytes) {
      throw new RpcError(
        RpcCode.badRequest,
        `the answer would exceed ${this.maxBytes} bytes (${what}): ask for fewer items per request`,
      );
    }
  }
}

export type Handler = (params: unknown[], budget: ResponseBudget) => Json | Promise<Json>;

export interface RpcServerOptions {
  readonly maxBodyBytes: number;
  readonly maxBatch: number;
  /** What answering one HTTP request may cost, in JSON bytes (see {@link ResponseBudget}). */
  readonly maxResponseBytes: number;
  /**
   * Loopback only (the private API): no CORS headers, and a request is refused (403) unless its `Host` is a
   * loopback name and it carries no `Origin` other than a loopback one. A web page the operator opens
   * cannot call it (its request carries the page's origin), nor can a DNS-rebound name (its `Host`).
   */
  readonly loopbackOnly?: boolean;
  /** Open connections at most (more are refused at once); default 256. */
  readonly maxConnections?: number;
  /** Open connections one client IP may hold (unset: no limit beyond `maxConnections`). */
  readonly maxConnectionsPerIp?: number;
  /** Extra GET routes (e.g. `/metrics`). */
  readonly get?: ReadonlyMap<string, () => Promise<{ type: string; body: string }>>;
}

/** A JSON-RPC 2.0 server over HTTP POST (any path), with CORS, bounded bodies and batches. */
export function startRpcServer(
  address: string,
  methods: Map<string, Handler>,
  opts: RpcServerOptions,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handle(req, res, methods, opts).catch((e) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
    });
  });
  // bounded: connections, and the time a client may take to send its headers and its request (a client
  // trickling bytes holds a connection for seconds, not minutes)
  server.maxConnections = opts.maxConnections ?? 256;
  // one client cannot take every slot: past its share, its new connections are closed at once
  const perIp = new Map<string, number>();
  const maxPerIp = opts.maxConnectionsPerIp;
  if (maxPerIp !== undefined)
    server.on("connection", (socket) => {
      const ip = socket.remoteAddress ?? "";
      const n = (perIp.get(ip) ?? 0) + 1;
      if (n > maxPerIp) {
        socket.destroy();
        return;
      }
      perIp.set(ip, n);
      socket.once("close", () => {
        const left = (perIp.get(ip) ?? 1) - 1;
        if (left > 0) perIp.set(ip, left);
        else perIp.delete(ip);
      });
    });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const [host, port] = splitHostPort(address);
  return new Promise((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`cannot listen on ${address}: ${e.message}`)));
    server.listen(port, host, () => {
      const a = server.address() as NetAddress;
      resolve({ server, url: `http://${host}:${a.port}` });
    });
  });
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(":");
  return [s.slice(0, i), Number(s.slice(i + 1))];
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  methods: Map<string, Handler>,
  opts: RpcServerOptions,
) {
  if (opts.loopbackOnly) {
    const refusal = notLoopback(req);
    if (refusal) {
      res.writeHead(403, { "Content-Type": "application/json" });
      return void res.end(JSON.stringify(errorResponse(null, RpcCode.invalidRequest, refusal)));
    }
  } else {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Allow-Methods", "POST, OPTIONS");
    res.setHeader("Access-Control-Allow-Headers", "Content-Type");
  }
  if (req.method === "OPTIONS") return void res.writeHead(204).end();
  if (req.method === "GET" && opts.get?.has(req.url ?? "")) {
    const r = await opts.get.get(req.url ?? "")!();
    return void res.writeHead(200, { "Content-Type": r.type }).end(r.body);
  }
  if (req.method !== "POST") return void res.writeHead(405, { Allow: "POST, OPTIONS" }).end();
  const raw = await readBody(req, opts.maxBodyBytes);
  if (!raw) {
    res.writeHead(413, { "Content-Type": "application/json" });
    return void res.end(
      JSON.stringify(
        errorResponse(null, RpcCode.invalidRequest, `request body larger than ${opts.maxBodyBytes} bytes`),
      ),
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch (e) {
    return send(res, errorResponse(null, RpcCode.parse, `parse error: ${(e as Error).message}`));
  }
  if (Array.isArray(body)) {
    if (body.length === 0) return send(res, errorResponse(null, RpcCode.invalidRequest, "empty batch"));
    if (body.length > opts.maxBatch) {
      return send(
        res,
        errorResponse(
          null,
          RpcCode.invalidRequest,
          `batch of ${body.length} requests: at most ${opts.maxBatch}`,
        ),
      );
    }
    const budget = new ResponseBudget(opts.maxResponseBytes);
    const out = [];
    // one call at a time, yielding to the event loop in between: the node's timers (the slot clock, block
    // production) and other clients wait for at most one call's work, not a whole batch's
    for (const r of body) {
      out.push(await call(r, methods, budget));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return send(res, out);
  }
  return send(res, await call(body, methods, new ResponseBudget(opts.maxResponseBytes)));
}

/**
 * A request's body, or undefined once it passes `max` bytes. The rest of a body too large is then read and
 * dropped while the 413 goes out (a client still sending reads that answer, not a connection reset, which
 * cutting the connection under its feet would give), up to `max` bytes more and for 2 s at most: past
 * either, the connection is cut.
 */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let cut: NodeJS.Timeout | undefined;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (cut) {
        if (size > 2 * max) req.destroy();
      } else if (size > max) {
        chunks.length = 0;
        cut = setTimeout(() => req.destroy(), 2000);
        resolve(undefined);
      } else chunks.push(c);
    });
    req.on("end", () => {
      clearTimeout(cut);
      resolve(Buffer.concat(chunks));
    });
    req.on("close", () => {
      clearTimeout(cut);
      // a client gone before its body's end: no request to answer (once settled, this changes nothing)
      if (!req.complete) reject(new Error("the client closed the connection before the request's end"));
    });
    req.on("error", reject);
  });
}

const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(:\d+)?$/i;

/** Why a request to a loopback-only server is refused, if it is (see `loopbackOnly`). */
function notLoopback(req: IncomingMessage): string | undefined {
  const host = req.headers.host ?? "";
  if (!LOOPBACK_HOST.test(host))
    return `the private API answers requests to a loopback host only, not "${host}"`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let o: URL | undefined;
    try {
      o = new URL(origin);
    } catch {
      o = undefined;
    }
    if (!o || !LOOPBACK_HOST.test(o.host))
      return `the private API refuses requests from web pages (origin "${origin}")`;
  }
  return undefined;
}

function send(res: ServerResponse, payload: unknown): void {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify(payload));
}

function errorResponse(id: unknown, code: number, message: string) {
  return { jsonrpc: "2.0", id: id ?? null, error: { code, message } };
}

/** One JSON-RPC request object answered with `methods` (HTTP, and APIv2's WebSocket). */
export async function call(r: unknown, methods: Map<string, Handler>, budget: ResponseBudget) {
  if (typeof r !== "object" || r === null || Array.isArray(r))
    return errorResponse(null, RpcCode.invalidRequest, "a request must be an object");
  const o = r as Record<string, unknown>;
  const id = o.id ?? null;
  if (o.jsonrpc !== "2.0" || typeof o.method !== "string") {
    return errorResponse(
      id,
      RpcCode.invalidRequest,
      'a request needs "jsonrpc": "2.0" and a "method" string',
    );
  }
  const h = methods.get(o.method);
  if (!h) return errorResponse(id, RpcCode.methodNotFound, `method not found: ${o.method}`);
  const params = o.params === undefined ? [] : Array.isArray(o.params) ? o.params : [o.params];
  try {
    return { jsonrpc: "2.0", id, result: await h(params, budget) };
  } catch (e) {
    if (e instanceof RpcError) return errorResponse(id, e.code, e.message);
    if (e instanceof MassaTsError) return errorResponse(id, RpcCode.badRequest, e.message);
    return errorResponse(id, RpcCode.internal, `internal error: ${(e as Error).message}`);
  }
}
