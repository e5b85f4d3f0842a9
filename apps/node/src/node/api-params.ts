// What each JSON-RPC method takes: one zod schema per method for its (single, positional) parameter, as
// massa-web3 and Massa's OpenRPC document send it. The handlers parse with these, and `rpc.discover`
// publishes them as JSON Schema: the document says exactly what the code accepts.
import { isIP } from "node:net";
import { Address } from "@massa-ts/models";
import { z } from "zod/v4";
import { RpcCode, RpcError } from "./rpc-server.js";

/** Massa's `max_addresses_datastore_keys_query`: requests in one `get_addresses_datastore_keys` call. */
export const MAX_DATASTORE_KEYS_REQUESTS = 50;

export interface ParamSpec<S extends z.ZodType = z.ZodType> {
  /** The parameter's name in Massa's document (its own casing: "address", "blockIds", "EventFilter"). */
  readonly name: string;
  /** What it is, for error messages ("invalid address list at 2: …"). */
  readonly what: string;
  readonly schema: S;
}

const zSlot = z.object({ period: z.number().int().min(0), thread: z.number().int().min(0).max(255) });
const zAddress = z.string().transform((s, ctx) => {
  try {
    return Address.fromString(s);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});
const zBytes = z
  .array(z.number().int().min(0).max(255))
  .max(10_000_000)
  .transform((a) => Uint8Array.from(a));
const zList = <T extends z.ZodType>(t: T) => z.array(t).max(128, "at most 128 items per list");

const spec = <S extends z.ZodType>(name: string, what: string, schema: S): ParamSpec<S> => ({
  name,
  what,
  schema,
});

const zIps = zList(z.string().refine((s) => isIP(s) !== 0, "not an IPv4 or IPv6 address"));
const zPage = z
  .object({ limit: z.number().int().min(0).max(10_000), offset: z.number().int().min(0) })
  .nullish();
/** A decimal MAS amount, as Massa's JSON writes them ("0.01"). */
const zAmount = z.string().regex(/^\d{1,20}(\.\d{1,9})?$/, "a decimal amount of MAS with at most 9 decimals");
const zGas = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Each method's parameter; methods without one are absent. */
export const PARAMS = {
  get_addresses: spec("address", "address list", zList(zAddress)),
  get_addresses_bytecode: spec(
    "addressFilter",
    "bytecode request list",
    zList(z.object({ address: zAddress, is_final: z.boolean() })),
  ),
  get_addresses_datastore_keys: spec(
    "AddressesDatastoreKeys",
    "datastore keys request list",
    z
      .array(
        z
          .object({
            address: zAddress,
            is_final: z.boolean(),
            prefix: zBytes.prefault([]),
            start_key: zBytes.nullish(),
            inclusive_start_key: z.boolean().nullish(),
            end_key: zBytes.nullish(),
            inclusive_end_key: z.boolean().nullish(),
            count: z.number().int().min(0).nullish(),
          })
          .loose(),
      )
      .max(MAX_DATASTORE_KEYS_REQUESTS, `at most ${MAX_DATASTORE_KEYS_REQUESTS} requests`),
  ),
  get_datastore_entries: spec(
    "DatastoreEntryInputs",
    "datastore request list",
    zList(z.object({ address: zAddress, key: zBytes })),
  ),
  get_blocks: spec("blockIds", "block id list", zList(z.string())),
  get_blockclique_block_by_slot: spec("slot", "slot", zSlot),
  get_graph_interval: spec(
    "TimeInterval",
    "time interval",
    z.object({ start: z.number().nullish(), end: z.number().nullish() }).nullish(),
  ),
  // Massa checks the count itself ("too many arguments", -32000): see api-public.ts
  get_operations: spec("operationId", "operation id list", z.array(z.string()).max(10_000)),
  get_endorsements: spec("endorsementId", "endorsement id list", zList(z.string())),
  get_slots_transfers: spec("slots", "slot list", zList(zSlot)),
  get_filtered_sc_output_event: spec(
    "EventFilter",
    "event filter",
    z
      .object({
        start: zSlot.nullish(),
        end: zSlot.nullish(),
        emitter_address: zAddress.nullish(),
        original_caller_address: zAddress.nullish(),
        original_operation_id: z.string().nullish(),
        is_final: z.boolean().nullish(),
        is_error: z.boolean().nullish(),
      })
      .loose()
      .nullish(),
  ),
  get_stakers: spec("PageRequest", "page request", zPage),
  get_largest_stakers: spec("ApiRequest", "request", z.object({ page_request: zPage }).nullish()),
  send_operations: spec("OperationInput", "operation list", zList(z.unknown())),
  execute_read_only_bytecode: spec(
    "ReadOnlyBytecodeExecution",
    "read-only bytecode executions",
    zList(
      z.strictObject({
        max_gas: zGas,
        bytecode: zBytes,
        address: zAddress.nullish(),
        operation_datastore: zBytes.nullish(),
        fee: zAmount.nullish(),
      }),
    ),
  ),
  execute_read_only_call: spec(
    "ReadOnlyCall",
    "read-only calls",
    zList(
      z.strictObject({
        max_gas: zGas,
        target_address: zAddress,
        target_function: z.string().max(255),
        parameter: zBytes,
        caller_address: zAddress.nullish(),
        coins: zAmount.nullish(),
        fee: zAmount.nullish(),
      }),
    ),
  ),
  get_deferred_call_quote: spec(
    "req",
    "deferred call quote requests",
    zList(
      z.object({
        target_slot: zSlot,
        max_gas_request: z.number().int().min(0),
        params_size: z.number().int().min(0),
      }),
    ),
  ),
  get_deferred_call_info: spec("arg", "deferred call ids", zList(z.string())),
  get_deferred_call_ids_by_slot: spec("slots", "slot list", zList(zSlot)),

  add_staking_secret_keys: spec("SecretKeys", "secret key list", zList(z.string())),
  remove_staking_addresses: spec("addresses", "address list", zList(zAddress)),
  node_sign_message: spec("message", "message", zBytes),
  node_ban_by_id: spec("id", "node id list", zList(z.string())),
  node_unban_by_id: spec("id", "node id list", zList(z.string())),
  node_ban_by_ip: spec("ip", "IP address list", zIps),
  node_unban_by_ip: spec("ip", "IP address list", zIps),
  node_add_to_peers_whitelist: spec("ip", "IP address list", zIps),
  node_remove_from_peers_whitelist: spec("ip", "IP address list", zIps),
  node_whitelist: spec("ip", "IP address list", zIps),
  node_remove_from_whitelist: spec("ip", "IP address list", zIps),
  node_add_to_bootstrap_blacklist: spec("ip", "IP address list", zIps),
  node_remove_from_bootstrap_blacklist: spec("ip", "IP address list", zIps),
  node_add_to_bootstrap_whitelist: spec("ip", "IP address list", zIps),
  node_remove_from_bootstrap_whitelist: spec("ip", "IP address list", zIps),
  node_block_peers: spec("node_public_keys", "node public key list", zList(z.string())),
  node_unblock_peers: spec("node_public_keys", "node public key list", zList(z.string())),
} as const satisfies Record<string, ParamSpec>;

export type MethodWithParam = keyof typeof PARAMS;

/** The parameter of a method, parsed with its declared schema; a typed -32602 error says what is wrong. */
export function param<K extends MethodWithParam>(
  params: unknown[],
  method: K,
): z.output<(typeof PARAMS)[K]["schema"]> {
  const p: ParamSpec = PARAMS[method];
  const r = p.schema.safeParse(params[0]);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new RpcError(
      RpcCode.invalidParams,
      `invalid ${p.what}${i.path.length ? ` at ${i.path.join(".")}` : ""}: ${i.message}`,
    );
  }
  return r.data as z.output<(typeof PARAMS)[K]["schema"]>;
}

/** A method's parameter as JSON Schema (what it accepts, before parsing). */
export function paramJsonSchema(method: string): { name: string; schema: object } | undefined {
  const p = (PARAMS as Record<string, ParamSpec>)[method];
  if (!p) return undefined;
  const { $schema: _drop, ...schema } = z.toJSONSchema(p.schema, {
    io: "input",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return { name: p.name, schema };
}
