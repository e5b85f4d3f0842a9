// Ports for test networks that run nodes on fixed ports (see freePorts: below the ephemeral range).
import { freePorts } from "../chaos/cluster.ts";

export { freePorts };

/** Public API, private API and p2p ports for each of `n` nodes (createDevnet's `ports`). */
export async function nodePorts(n: number): Promise<{ public: number; private: number; p2p: number }[]> {
  const free = await freePorts(3 * n);
  return Array.from({ length: n }, (_, i) => ({
    public: free[3 * i]!,
    private: free[3 * i + 1]!,
    p2p: free[3 * i + 2]!,
  }));
}
