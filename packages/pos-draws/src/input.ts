import { Address, fromHex, type MassaTsError } from "@massa-ts/models";
import { DrawError } from "./alias.js";
import { CycleDraws, type DrawConfig } from "./draw.js";

/** The JSON input of `massa-ts draws` (and of the Rust reference tool). */
export interface DrawsInput {
  readonly cycle: number;
  readonly config: DrawConfig;
  readonly seed: Uint8Array;
  readonly genesisAddress: Address;
  readonly rolls: readonly (readonly [Address, bigint])[];
}

const U64_MAX = (1n << 64n) - 1n;

function positiveInt(o: Record<string, unknown>, name: string, max: number, min = 1): number {
  const v = o[name];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new DrawError(`"${name}" must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Parses `{"cycle", "periodsPerCycle", "threadCount", "endorsementCount", "seed": "<64 hex>",
 * "genesisAddress": "AU…", "rolls": {"AU…": count}}`. Roll counts are JSON safe integers or decimal strings
 * (for counts above 2^53). Every error names the field.
 */
export function parseDrawsInput(text: string): DrawsInput {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DrawError(`input is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new DrawError("input must be a JSON object");
  const o = json as Record<string, unknown>;
  const cycle = positiveInt(o, "cycle", Number.MAX_SAFE_INTEGER, 0);
  const periodsPerCycle = positiveInt(o, "periodsPerCycle", 1_000_000);
  const threadCount = positiveInt(o, "threadCount", 256);
  const endorsementCount = positiveInt(o, "endorsementCount", 1024, 0);
  if (cycle * periodsPerCycle > Number.MAX_SAFE_INTEGER) throw new DrawError(`"cycle" ${cycle} is too large`);
  if (typeof o.seed !== "string" || !/^[0-9a-fA-F]{64}$/.test(o.seed)) {
    throw new DrawError(
      `"seed" must be 64 hexadecimal characters (32 bytes), got ${JSON.stringify(o.seed)?.slice(0, 80)}`,
    );
  }
  const seed = fromHex(o.seed, "seed");
  const addr = (s: unknown, field: string): Address => {
    try {
      return Address.fromString(String(s), field);
    } catch (e) {
      throw new DrawError(`${field}: ${(e as MassaTsError).message}`);
    }
  };
  const genesisAddress = addr(o.genesisAddress, "genesisAddress");
  if (typeof o.rolls !== "object" || o.rolls === null || Array.isArray(o.rolls)) {
    throw new DrawError(`"rolls" must be an object {"AU…": count}`);
  }
  const rolls: [Address, bigint][] = [];
  for (const [k, v] of Object.entries(o.rolls as Record<string, unknown>)) {
    const a = addr(k, `rolls key "${k.slice(0, 60)}"`);
    let n: bigint;
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) n = BigInt(v);
    else if (typeof v === "string" && /^\d{1,20}$/.test(v) && BigInt(v) <= U64_MAX) n = BigInt(v);
    else
      throw new DrawError(
        `rolls of ${k}: ${JSON.stringify(v)} is not a u64 roll count (a safe integer or a decimal string)`,
      );
    rolls.push([a, n]);
  }
  if (rolls.length === 0) throw new DrawError(`"rolls" has no staker`);
  if (rolls.every(([, n]) => n === 0n)) throw new DrawError(`"rolls" has zero rolls in total`);
  return { cycle, config: { periodsPerCycle, threadCount, endorsementCount }, seed, genesisAddress, rolls };
}

/** Draws the cycle described by `input`. */
export function drawFromInput(input: DrawsInput): CycleDraws {
  return CycleDraws.draw(input.cycle, input.config, input.rolls, input.seed, input.genesisAddress);
}

/** One output line per slot: `{"period","thread","producer","endorsements":[…]}`. */
export function* drawLines(d: CycleDraws): Generator<string> {
  for (let k = 0; k < d.slotCount; k++) {
    const s = d.selectionAt(k);
    yield JSON.stringify({
      period: s.period,
      thread: s.thread,
      producer: s.producer.toString(),
      endorsements: s.endorsements.map(String),
    });
  }
}
