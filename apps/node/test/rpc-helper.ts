/** A JSON-RPC call as massa-web3 makes it (positional params); throws the error message. */
export async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const j = (await r.json()) as { result: T; error?: { message: string } };
  if (j.error) throw new Error(j.error.message);
  return j.result;
}

/** A node's `get_final_state_hashes` as "period,thread" → hash. */
export async function finalHashes(url: string): Promise<Map<string, string>> {
  const list = await rpc<{ slot: { period: number; thread: number }; hash: string }[]>(
    url,
    "get_final_state_hashes",
  );
  return new Map(list.map((h) => [`${h.slot.period},${h.slot.thread}`, h.hash]));
}
