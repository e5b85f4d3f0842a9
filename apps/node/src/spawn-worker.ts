// Starts one of the node's worker threads: the built `.js` beside the caller, or, when running from source,
// the `.ts` file through tsx (a plain worker does not get tsx from its flags, so it registers tsx itself and
// then imports the TypeScript file; Piscina's pools do the same through their own entry script).
import { Worker, type WorkerOptions } from "node:worker_threads";
import { workerFile } from "@massa-ts/models";

export function spawnWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const { filename, execArgv } = workerFile(callerUrl, name);
  if (!filename.endsWith(".ts")) return new Worker(new URL(filename), { ...options, execArgv });
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(filename)}); })`;
  return new Worker(boot, {
    ...options,
    eval: true,
    execArgv: execArgv.filter((a) => a.startsWith("--conditions")),
  });
}
