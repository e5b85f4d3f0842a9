// A peer's address as configured: "host:port", or "N…@host:port" pinning the node key that must answer
// there (Massa's node id form). A pinned address is how a node knows it talks to the node it meant to:
// the handshake proves the key (channel.ts).
import { PublicKey } from "@massa-ts/models";

export interface PeerAddress {
  readonly hostPort: string;
  /** The node key that must answer at this address, if pinned. */
  readonly nodeKey?: PublicKey;
}

const HOST_PORT = /^[^:\s@]+:\d{1,5}$/;

/** Parses "host:port" or "N…@host:port"; throws an Error saying what is wrong. */
export function parsePeerAddress(text: string): PeerAddress {
  const at = text.indexOf("@");
  const hostPort = at < 0 ? text : text.slice(at + 1);
  if (!HOST_PORT.test(hostPort)) throw new Error(`"${text}": expected "host:port" or "N…@host:port"`);
  if (at < 0) return { hostPort };
  try {
    return { hostPort, nodeKey: PublicKey.fromNodeId(text.slice(0, at)) };
  } catch (e) {
    throw new Error(`"${text}": the part before "@" is not a node id (${(e as Error).message})`);
  }
}

/** The text form of a pinned address. */
export function pinnedAddress(nodeKey: PublicKey, hostPort: string): string {
  return `${nodeKey.toNodeId()}@${hostPort}`;
}
