// A node's refusal of operations, by reason (the load generator counts them): the pool's and the API's
// messages reduced to a few stable words.
const REASONS: [RegExp, string][] = [
  [/pool is full/, "pool full"],
  [/fee .* too low/, "fee too low"],
  [/already has \d+ operations in the pool|per sender/, "too many from one sender"],
  [/balance|funds|cannot pay/, "funds"],
  [/expire|expiry|validity/, "expiry"],
  [/signature/, "signature"],
  [/busy/, "node busy"],
  [/too many|at most/, "too many"],
];

export function classifyRefusal(message: string): string {
  for (const [re, reason] of REASONS) if (re.test(message)) return reason;
  return message.slice(0, 60);
}
