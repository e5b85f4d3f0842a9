// The load generator's sending addresses: derived from the first account (the same on every run, so their
// coins are reused), topped up from the funded accounts, and waited for until the node shows them funded.
// A pool holds a bounded number of operations per sender (1 000 by default): a high rate needs many.
import { Address, Amount, blake3, concatBytes, SecretKey, SignedOperation } from "@massa-ts/models";

export interface FundContext {
  readonly rpc: <T>(method: string, params: unknown[]) => Promise<T>;
  readonly accounts: readonly { readonly secretKey: string }[];
  readonly chainId: bigint;
  readonly fee: Amount;
  readonly period: number;
  readonly validityPeriods: number;
  readonly t0: number;
  readonly log: (line: string) => void;
}

export async function fundSenders(
  c: FundContext,
  n: number,
  amount = Amount.fromMas("100"),
): Promise<{ secretKey: string }[]> {
  const root = SecretKey.fromString(c.accounts[0]!.secretKey);
  const tag = new TextEncoder().encode("massa-ts load sender");
  const keys = Array.from(
    { length: n },
    (_, i) => new SecretKey(blake3(concatBytes(tag, root.toBytes(), Uint8Array.of(i >> 8, i & 255)))),
  );
  const addrs = keys.map((k) => Address.fromPublicKey(k.publicKey).toString());
  const balances = async () => {
    const out: bigint[] = [];
    for (let i = 0; i < addrs.length; i += 128) {
      const infos = await c.rpc<{ candidate_balance: string }[]>("get_addresses", [addrs.slice(i, i + 128)]);
      for (const info of infos) out.push(Amount.fromMas(info.candidate_balance).nano);
    }
    return out;
  };
  const have = await balances();
  const funders = c.accounts.map((a) => SecretKey.fromString(a.secretKey));
  const ops = addrs
    .map((a, i) => [a, i] as const)
    .filter(([, i]) => have[i]! < amount.nano / 2n)
    .map(([a, i]) =>
      SignedOperation.sign(
        {
          fee: c.fee,
          expirePeriod: c.period + c.validityPeriods - 1,
          payload: { type: "Transaction", recipient: Address.fromString(a), amount },
        },
        funders[i % funders.length]!,
        c.chainId,
      ),
    );
  if (ops.length === 0) return keys.map((k) => ({ secretKey: k.toString() }));
  c.log(`load: funding ${ops.length} sending addresses with ${amount} MAS each…`);
  for (let i = 0; i < ops.length; i += 100)
    await c.rpc("send_operations", [
      ops.slice(i, i + 100).map((op) => ({
        serialized_content: Array.from(op.contentBytes),
        creator_public_key: op.creator.toString(),
        signature: op.signature.toString(),
      })),
    ]);
  const deadline = Date.now() + 20 * c.t0 + 10_000;
  while ((await balances()).some((b) => b < amount.nano / 2n)) {
    if (Date.now() > deadline)
      throw new Error("the sending addresses were not funded in time: is the node producing blocks?");
    await new Promise((r) => setTimeout(r, 500));
  }
  return keys.map((k) => ({ secretKey: k.toString() }));
}
