// The execution thread's entry: requests from the node's thread, answered in order, one at a time.
import { parentPort } from "node:worker_threads";
import { dispatch, type Request } from "./methods.js";

const port = parentPort!;
let queue = Promise.resolve();
port.on("message", (r: Request) => {
  queue = queue.then(async () => port.postMessage(await dispatch(r)));
});
