// Ports for tests' nodes: free ones handed out by the OS (bound on 127.0.0.1 port 0, then released), never
// guessed at random. The chaos harness's function, shared.
export { freePorts } from "../chaos/cluster.ts";
