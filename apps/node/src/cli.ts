import { MassaTsError } from "@massa-ts/models";
import { Command, CommanderError } from "commander";
import { registerDevnet } from "./commands/devnet.js";
import { registerDraws } from "./commands/draws.js";
import { registerInspectOperation } from "./commands/inspect-operation.js";
import { registerKeygen } from "./commands/keygen.js";
import { registerLoad } from "./commands/load.js";
import { registerRun } from "./commands/run.js";
import { registerState } from "./commands/state.js";
import { CliError } from "./errors.js";

export { CliError };

export const VERSION = "0.1.0";

export function buildProgram(): Command {
  const program = new Command()
    .name("massa-ts")
    .description("massa-ts: a Massa full node in TypeScript")
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerKeygen(program);
  registerInspectOperation(program);
  registerDraws(program);
  registerState(program);
  registerRun(program);
  registerDevnet(program);
  registerLoad(program);
  return program;
}

/** Runs the CLI with `argv` (without node and script); returns the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  // `pnpm run x -- args` passes a literal "--" first: tolerate it.
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  const program = buildProgram();
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed help / the usage error
      return e.exitCode;
    }
    if (e instanceof CliError || e instanceof MassaTsError) {
      process.stderr.write(`massa-ts: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
