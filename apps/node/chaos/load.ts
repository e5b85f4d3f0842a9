// The chaos harness's load: transfers between four funded accounts (fee 0, distinct amounts, so that the
// final balances prove each was executed exactly once) and roll buys and sells by a fifth, sent through the
// public JSON-RPC API (`send_operations`, as massa-web3 sends them) to two live nodes each. Like a careful
// wallet, it sends an operation again while it is neither final nor expired (pools die with a killed node):
// the same signed bytes, so a node that executed it twice would show in the balances.
import { Address, Amount, SecretKey, SignedOperation } from "@massa-ts/models";

/** A JSON-RPC call with a deadline (a node being killed must not hang the harness). */
export async function call<T>(url: string, method: string, params: unknown[] = [], ms = 5000): Promise<T> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(ms),
  });
  const j = (await r.json()) as { result: T; error?: { message: string } };
  if (j.error) throw new Error(`${method}: ${j.error.message}`);
  return j.result;
}

export interface SentTransfer {
  readonly id: string;
  readonly from: number;
  readonly to: number;
  readonly nano: bigint;
  /** The period it was signed in; it may be included up to its expiry period. */
  readonly sentPeriod: number;
  readonly expirePeriod: number;
}

export class Load {
  readonly transfers: SentTransfer[] = [];
  rollOps = 0;
  /** Operations no live node accepted at their first sending (transfers are sent again). */
  unsent = 0;
  /** Sent again because not final yet. */
  resent = 0;
  /** Transfers seen final on a node. */
  readonly final = new Set<string>();
  /**
   * Transfers expired and past their fate (final period beyond their expiry) without being seen final, each
   * with the API (URL) whose answers made it lost (for a failure's diagnosis).
   */
  readonly lost = new Map<string, string>();
  /** Transfers whose fate is not known yet: id → its send_operations input and expiry. */
  private readonly pending = new Map<string, { input: unknown; expirePeriod: number }>();
  private readonly keys: SecretKey[];
  private readonly addresses: Address[];
  private rollsHeld = 0n;
  private seq = 0;

  constructor(
    accounts: readonly { secretKey: string }[],
    private readonly chainId: bigint,
    private readonly rand: () => number,
  ) {
    this.keys = accounts.map((a) => SecretKey.fromString(a.secretKey));
    this.addresses = this.keys.map((k) => Address.fromPublicKey(k.publicKey));
  }

  /** One transfer (or, one time in ten, a roll buy or sell) sent to two of `urls`. */
  async sendOne(urls: readonly string[], period: number): Promise<void> {
    if (urls.length === 0) {
      this.unsent++;
      return;
    }
    const expirePeriod = period + 8;
    let op: SignedOperation;
    let transfer: SentTransfer | undefined;
    if (this.rand() < 0.1) {
      const sell = this.rollsHeld > 0n && this.rand() < 0.5;
      op = SignedOperation.sign(
        {
          fee: Amount.ZERO,
          expirePeriod,
          payload: sell ? { type: "RollSell", rollCount: 1n } : { type: "RollBuy", rollCount: 1n },
        },
        this.keys[4]!,
        this.chainId,
      );
      // counted as held once sent: a sell of a roll not (yet) owned fails cleanly, which is fine
      this.rollsHeld += sell ? -1n : 1n;
      this.rollOps++;
    } else {
      const from = Math.floor(this.rand() * 4);
      const to = (from + 1 + Math.floor(this.rand() * 3)) % 4;
      // a distinct amount per transfer, taken before any await (sends overlap): no two transfers are the same
      // operation, and a balance off by an amount names the transfer
      const nano = 1_000_000n + BigInt(this.seq++);
      op = SignedOperation.sign(
        {
          fee: Amount.ZERO,
          expirePeriod,
          payload: { type: "Transaction", recipient: this.addresses[to]!, amount: Amount.fromNano(nano) },
        },
        this.keys[from]!,
        this.chainId,
      );
      transfer = { id: op.id.toString(), from, to, nano, sentPeriod: period, expirePeriod };
    }
    const input = [op.toSendOperationsInput()];
    const first = Math.floor(this.rand() * urls.length);
    const targets = urls.length > 1 ? [urls[first]!, urls[(first + 1) % urls.length]!] : [urls[0]!];
    const results = await Promise.allSettled(targets.map((u) => call(u, "send_operations", [input], 3000)));
    // a transfer is tracked even when no node took it (a timed-out request may still have been taken), but
    // not when every target refused the connection (no node was listening: nobody has it, nobody ever will;
    // a wallet knows it did not send)
    const noneListening = results.every(
      (r) =>
        r.status === "rejected" && (r.reason as { cause?: { code?: string } }).cause?.code === "ECONNREFUSED",
    );
    if (transfer && !noneListening) {
      this.transfers.push(transfer);
      this.pending.set(transfer.id, { input: input[0], expirePeriod });
    }
    if (!results.some((r) => r.status === "fulfilled")) {
      this.unsent++;
      if (!transfer) this.rollsHeld += op.content.payload.type === "RollSell" ? 1n : -1n;
    }
  }

  /**
   * Asks one live node which pending transfers are final (forgotten from then on) and sends the others, not
   * expired yet, again to two live nodes.
   */
  async resendPending(urls: readonly string[], period: number): Promise<void> {
    if (urls.length === 0 || this.pending.size === 0) return;
    // the oldest first (the map keeps the sending order): a final operation must be seen before its record
    // is pruned, 10 periods after its expiry
    const ids: string[] = [];
    for (const id of this.pending.keys()) {
      ids.push(id);
      if (ids.length === 128) break;
    }
    const url = urls[Math.floor(this.rand() * urls.length)]!;
    const status = await call<{ execution_stats: { final_cursor: { period: number } } }>(url, "get_status", [
      {},
    ]);
    const finalPeriod = status.execution_stats.final_cursor.period;
    const infos = await call<{ id: string; is_operation_final: boolean | null }[]>(url, "get_operations", [
      ids,
    ]);
    for (const i of infos) {
      if (!i.is_operation_final) continue;
      this.pending.delete(i.id);
      this.final.add(i.id);
    }
    // an operation's fate is sealed once its expiry period is final (executed ops are kept 10 periods more)
    for (const id of ids) {
      const p = this.pending.get(id);
      if (p && finalPeriod > p.expirePeriod + 1) {
        this.pending.delete(id);
        this.lost.set(id, url);
      }
    }
    const again = ids.filter((id) => {
      const p = this.pending.get(id);
      return p !== undefined && p.expirePeriod > period;
    });
    if (again.length === 0) return;
    const inputs = again.map((id) => this.pending.get(id)!.input);
    const first = Math.floor(this.rand() * urls.length);
    const targets = urls.length > 1 ? [urls[first]!, urls[(first + 1) % urls.length]!] : [urls[0]!];
    await Promise.allSettled(targets.map((u) => call(u, "send_operations", [inputs], 3000)));
    this.resent += again.length;
  }

  /** Transfers whose fate is not known yet. */
  get undecided(): number {
    return this.pending.size;
  }

  /** Final balances (nano-MAS) of the four transfer accounts once the transfers `executed` says are. */
  expectedBalances(initial: readonly bigint[], executed: (t: SentTransfer) => boolean): bigint[] {
    const b = initial.slice(0, 4);
    for (const t of this.transfers) {
      if (!executed(t)) continue;
      b[t.from]! -= t.nano;
      b[t.to]! += t.nano;
    }
    return b;
  }

  get addressTexts(): string[] {
    return this.addresses.slice(0, 4).map((a) => a.toString());
  }

  get lastExpiry(): number {
    return this.transfers.reduce((m, t) => Math.max(m, t.expirePeriod), 0);
  }
}
