// Massa's OpenRPC document (apps/node/openrpc/massa-openrpc.json: a byte-identical copy of
// ../shared/spec/reference/massa-openrpc.json, itself massa-node/base_config/openrpc.json at MAIN.5.0) as a
// validator of params and results. The document's own defects, checked against Massa's Rust sources (the
// errata: ../shared/spec/reference/massa-openrpc-errata.md), are patched here, each one named; the copy on
// disk is never edited.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";

export const DOC_PATH = join(dirname(fileURLToPath(import.meta.url)), "../../openrpc/massa-openrpc.json");

interface Method {
  name: string;
  tags?: { name: string }[];
  params: { name: string; required?: boolean; schema: unknown }[];
  result: { name: string; schema: unknown };
}
interface Doc {
  methods: Method[];
  components: { schemas: Record<string, Record<string, unknown>> };
}

/** The patches, each an erratum: what Massa really sends, where the document says otherwise. */
export const ERRATA: readonly string[] = [
  "the 16 'No return' methods have the result schema `false`: Massa's `RpcResult<()>` answers null",
  "CompactConfig requires execution_stats, which it does not define (additionalProperties: false)",
  "WrappedOperation requires creator_public_key/creator_address, defines content_creator_pub_key/content_creator_address (Massa sends the latter)",
  "Denunciation's oneOf branches overlap: read as anyOf",
  "Staker is the array [address, rolls]; BlockParent is [block id, period]; ConnectedNodes values are [ip, is_outgoing]",
  "EventExecutionContext also carries deferred_call_id and async_msg_id (nullable)",
  "get_blockclique_block_by_slot and NodeStatus.last_slot can be null",
  "deferred-call amounts (DeferredCall coins and fee, DeferredCallsQuoteResponse price) are decimal strings",
  "subscribe_*: the result schemas describe the notifications; new_blocks carry a Block, new_filled_blocks a header with [operation id, operation] pairs, new_operations a WrappedOperation (massa-pool-exports broadcasts SecureShareOperation)",
];

function patch(doc: Doc): Doc {
  const s = doc.components.schemas;
  for (const m of doc.methods) if (m.result.schema === false) m.result.schema = { type: "null" };
  const cc = s.CompactConfig!;
  cc.required = (cc.required as string[]).filter((k) => k !== "execution_stats");
  const wo = s.WrappedOperation!;
  wo.required = (wo.required as string[]).map((k) =>
    k === "creator_public_key"
      ? "content_creator_pub_key"
      : k === "creator_address"
        ? "content_creator_address"
        : k,
  );
  const den = s.Denunciation!;
  den.anyOf = den.oneOf;
  delete den.oneOf;
  s.Staker = {
    type: "array",
    minItems: 2,
    maxItems: 2,
    items: [{ $ref: "#/components/schemas/Address" }, { type: "number" }],
  };
  s.BlockParent = {
    type: "array",
    minItems: 2,
    maxItems: 2,
    items: [{ $ref: "#/components/schemas/BlockId" }, { type: "number" }],
  };
  const cn = s.ConnectedNodes;
  if (cn)
    cn.additionalProperties = {
      type: "array",
      minItems: 2,
      maxItems: 2,
      items: [{ type: "string" }, { type: "boolean" }],
    };
  const ctx = s.EventExecutionContext;
  if (ctx?.properties) {
    const p = ctx.properties as Record<string, unknown>;
    p.deferred_call_id = { oneOf: [{ type: "null" }, { type: "string" }] };
    p.async_msg_id = { oneOf: [{ type: "null" }, { type: "string" }] };
  }
  const amount = { $ref: "#/components/schemas/Amount" };
  const dc = s.DeferredCall?.properties as Record<string, unknown> | undefined;
  if (dc) {
    dc.coins = amount;
    dc.fee = amount;
  }
  (s.DeferredCallsQuoteResponse!.properties as Record<string, unknown>).price = amount;
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  for (const m of doc.methods) {
    if (m.name === "subscribe_new_blocks") m.result.schema = ref("Block");
    if (m.name === "subscribe_new_operations") m.result.schema = ref("WrappedOperation");
    if (m.name === "subscribe_new_filled_blocks")
      m.result.schema = {
        type: "object",
        required: ["header", "operations"],
        additionalProperties: false,
        properties: {
          header: ref("WrappedHeader"),
          operations: {
            type: "array",
            items: {
              type: "array",
              minItems: 2,
              maxItems: 2,
              items: [ref("OperationId"), { oneOf: [{ type: "null" }, ref("WrappedOperation")] }],
            },
          },
        },
      };
  }
  const nullable = (schema: unknown) => ({ oneOf: [{ type: "null" }, schema] });
  for (const m of doc.methods)
    if (m.name === "get_blockclique_block_by_slot") m.result.schema = nullable(m.result.schema);
  const ns = s.NodeStatus!.properties as Record<string, unknown>;
  ns.last_slot = nullable(ns.last_slot);
  return doc;
}

export class OpenRpcSchema {
  readonly doc: Doc;
  private readonly ajv: Ajv;
  private readonly results = new Map<string, ValidateFunction>();

  constructor() {
    this.doc = patch(JSON.parse(readFileSync(DOC_PATH, "utf8")) as Doc);
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    this.ajv.addSchema({ $id: "massa", components: this.doc.components }, "massa");
  }

  get methods(): readonly Method[] {
    return this.doc.methods;
  }

  method(name: string): Method {
    const m = this.doc.methods.find((x) => x.name === name);
    if (!m) throw new Error(`no method ${name} in Massa's OpenRPC document`);
    return m;
  }

  /** The API a method belongs on: "private", "public", or Massa's APIv2 ("api"). */
  apiOf(name: string): "private" | "public" | "api" {
    const tags = this.method(name).tags?.map((t) => t.name) ?? [];
    return tags.includes("private") ? "private" : tags.includes("api") ? "api" : "public";
  }

  /** Validation errors of `value` as `method`'s result (empty: it validates). */
  resultErrors(name: string, value: unknown): string[] {
    let v = this.results.get(name);
    if (!v) {
      v = this.ajv.compile({ $id: `result-${name}`, ...this.rebase(this.method(name).result.schema) });
      this.results.set(name, v);
    }
    return v(value)
      ? []
      : (v.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  }

  /** Validation errors of `params` (positional) against `method`'s params. */
  paramsErrors(name: string, params: unknown[]): string[] {
    const m = this.method(name);
    const out: string[] = [];
    m.params.forEach((p, i) => {
      if (params[i] === undefined) {
        if (p.required) out.push(`param ${p.name} missing`);
        return;
      }
      const v = this.ajv.compile({ $id: `param-${name}-${i}-${Math.random()}`, ...this.rebase(p.schema) });
      if (!v(params[i])) out.push(...(v.errors ?? []).map((e) => `${p.name}${e.instancePath} ${e.message}`));
    });
    return out;
  }

  /** A schema of the document with its local refs pointing into the registered components. */
  private rebase(schema: unknown): Record<string, unknown> {
    const json = JSON.stringify(schema ?? {}).replaceAll('"#/components/', '"massa#/components/');
    const out = JSON.parse(json) as unknown;
    return typeof out === "object" && out !== null ? (out as Record<string, unknown>) : { const: out };
  }
}
