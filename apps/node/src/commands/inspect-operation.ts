import { readFileSync } from "node:fs";
import { parseSendOperationInput, type SignedOperation } from "@massa-ts/models";
import type { Command } from "commander";
import { CliError } from "../errors.js";

/** The `--json` view of an operation (also the text view's fields). */
export interface OperationView {
  id: string;
  creatorAddress: string;
  creatorPublicKey: string;
  fee: string;
  expirePeriod: number;
  type: string;
  recipientAddress?: string;
  amount?: string;
  rollCount?: string;
  maxGas?: string;
  maxCoins?: string;
  coins?: string;
  targetAddress?: string;
  functionName?: string;
  parameterLength?: number;
  bytecodeLength?: number;
  datastoreEntries?: number;
  signatureValid: boolean;
}

export function operationView(op: SignedOperation): OperationView {
  const base = {
    id: op.id.toString(),
    creatorAddress: op.creatorAddress.toString(),
    creatorPublicKey: op.creator.toString(),
    fee: op.content.fee.toString(),
    expirePeriod: op.content.expirePeriod,
    type: op.content.payload.type,
  };
  const p = op.content.payload;
  let fields: Partial<OperationView>;
  switch (p.type) {
    case "Transaction":
      fields = { recipientAddress: p.recipient.toString(), amount: p.amount.toString() };
      break;
    case "RollBuy":
    case "RollSell":
      fields = { rollCount: p.rollCount.toString() };
      break;
    case "ExecuteSC":
      fields = {
        maxGas: p.maxGas.toString(),
        maxCoins: p.maxCoins.toString(),
        bytecodeLength: p.bytecode.length,
        datastoreEntries: p.datastore.length,
      };
      break;
    case "CallSC":
      fields = {
        maxGas: p.maxGas.toString(),
        coins: p.coins.toString(),
        targetAddress: p.target.toString(),
        functionName: p.functionName,
        parameterLength: p.parameter.length,
      };
      break;
  }
  return { ...base, ...fields, signatureValid: op.verifySignature() };
}

function parseChainId(text: string): bigint {
  if (!/^\d{1,20}$/.test(text) || BigInt(text) >= 1n << 64n) {
    throw new CliError(
      `--chain-id must be an unsigned 64-bit integer (e.g. 77658366 for buildnet), got "${text}"`,
    );
  }
  return BigInt(text);
}

export function registerInspectOperation(program: Command): void {
  program
    .command("inspect-operation")
    .description(
      "decode one operation in send_operations JSON form ({serialized_content, creator_public_key, signature}) and check its signature",
    )
    .argument("<file>", "JSON file holding one operation as Massa's send_operations receives it")
    .requiredOption(
      "--chain-id <id>",
      "chain id the operation was signed for (MainNet 77658377, BuildNet 77658366)",
    )
    .option("--json", "print one JSON object")
    .action((file: string, opts: { chainId: string; json?: boolean }) => {
      const chainId = parseChainId(opts.chainId);
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new CliError(`${file} is not valid JSON: ${(e as Error).message}`);
      }
      const view = operationView(parseSendOperationInput(json, chainId));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(view)}\n`);
        return;
      }
      const lines = Object.entries(view).map(([k, v]) => `${`${k}:`.padEnd(18)}${String(v)}`);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
