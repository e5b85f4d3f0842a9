// Who this node will not talk to, and who it always will: bans by node key and by IP (with expiry), and the
// operator's peers whitelist (IPs never banned, admitted past the per-IP limits).
import { BoundedMap } from "@massa-ts/models";

interface Ban {
  until: number;
  reason: string;
}

/** Node keys are "P…"; anything else is an IP. */
const isKey = (id: string) => id.startsWith("P");

export class BanList {
  /**
   * Bans by node key and by IP, in two tables of 10 000 (the oldest, first to expire, forgotten past that).
   * Apart so that bans of fresh keys, free to make, cannot flush the IP bans; a key ban pushed out only lets
   * back a key its owner could have replaced anyway.
   */
  private readonly keyBans = new BoundedMap<string, Ban>(10_000);
  private readonly ipBans = new BoundedMap<string, Ban>(10_000);
  /** IPs the operator trusts (private API `node_add_to_peers_whitelist`): never banned; at most 10 000. */
  private readonly whitelist = new Set<string>();

  constructor(
    private readonly banMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Bans a node key ("P…") or an IP for the ban period; a whitelisted IP is not banned. */
  ban(id: string, reason: string): void {
    if (isKey(id)) this.keyBans.set(id, { until: this.now() + this.banMs, reason });
    else if (!this.whitelist.has(id)) this.ipBans.set(id, { until: this.now() + this.banMs, reason });
  }

  /** Lifts the ban of a node key or an IP, if any. */
  unban(id: string): void {
    (isKey(id) ? this.keyBans : this.ipBans).delete(id);
  }

  /** Whether a node key or an IP is banned now. */
  isBanned(id: string): boolean {
    const table = isKey(id) ? this.keyBans : this.ipBans;
    const b = table.get(id);
    if (!b) return false;
    if (b.until < this.now()) {
      table.delete(id);
      return false;
    }
    return true;
  }

  /** Current bans: node key or IP → reason. */
  current(): Map<string, string> {
    const out = new Map<string, string>();
    const now = this.now();
    for (const table of [this.keyBans, this.ipBans])
      for (const [k, b] of table) if (b.until >= now) out.set(k, b.reason);
    return out;
  }

  isWhitelisted(ip: string): boolean {
    return this.whitelist.has(ip);
  }

  /** Adds IPs to the peers whitelist (their bans lifted); refused past 10 000 entries. */
  addToWhitelist(ips: readonly string[]): void {
    for (const ip of ips) {
      if (!this.whitelist.has(ip) && this.whitelist.size >= 10_000)
        throw new RangeError("the peers whitelist holds 10 000 addresses: remove some first");
      this.whitelist.add(ip);
      this.ipBans.delete(ip);
    }
  }

  removeFromWhitelist(ips: readonly string[]): void {
    for (const ip of ips) this.whitelist.delete(ip);
  }

  /** The peers whitelist, sorted. */
  whitelisted(): string[] {
    return [...this.whitelist].sort();
  }
}
