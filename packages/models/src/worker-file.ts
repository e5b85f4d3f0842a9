// Where a worker pool's script is: the `.ts` source (run through tsx, workspace packages from their
// sources) when the caller runs from source, else the built `.js` beside the caller.

/**
 * The worker script `name` (without extension) next to the module at `callerUrl` (its `import.meta.url`),
 * with the Node flags that script needs.
 */
export function workerFile(callerUrl: string, name: string): { filename: string; execArgv: string[] } {
  if (callerUrl.endsWith(".ts")) {
    return {
      filename: new URL(`./${name}.ts`, callerUrl).href,
      execArgv: ["--conditions=@massa-ts/source", "--import", "tsx"],
    };
  }
  return { filename: new URL(`./${name}.js`, callerUrl).href, execArgv: [] };
}
