// Waiting in tests without fixed sleeps: poll a condition until a deadline, naming what was awaited when it
// times out.

/** Resolves once `cond` holds (polled every `pollMs`); rejects after `timeoutMs` saying what it waited for. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what = "a condition",
  timeoutMs = 10_000,
  pollMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
