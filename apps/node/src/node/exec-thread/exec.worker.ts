// The execution thread's entry: requests from the node's thread, answered in order, one at a time. An
// answer that cannot be sent is answered with its error instead: the queue never stops.
import { parentPort } from "node:worker_threads";
import { dispatch, type Reply, type Request } from "./methods.js";

const port = parentPort!;
let queue = Promise.resolve();
const send = (reply: Reply): void => {
  try {
    port.postMessage(reply);
  } catch (e) {
    port.postMessage({
      id: reply.id,
      error: { message: `the answer could not be sent: ${(e as Error).message}` },
    });
  }
};
port.on("message", (r: Request) => {
  queue = queue.then(async () => send(await dispatch(r))).catch(() => undefined);
});
