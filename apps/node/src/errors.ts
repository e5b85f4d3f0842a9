/** An error the CLI reports as one line on stderr (`massa-ts: …`) with a non-zero exit code. */
export class CliError extends Error {}
