// One part of a bootstrap stream on the wire, both ends: the server cuts a part's updates into messages that
// fit a frame; the client applies them in order, moving its cursor only with the last one.
import type { BootstrapCursor, BootstrapPart, FinalStateAdmin } from "@massa-ts/final-state";
import { type Message, updateChunks } from "@massa-ts/protocol";
import { CliError } from "../errors.js";

export type PartMessage = Extract<Message, { type: "bootstrapPart" }>;

/** Chunks of updates in one part (each up to ~1 MB); a server sending more is refused. */
export const MAX_UPDATE_CHUNKS = 1_000;

/**
 * Server side: the messages of one part, in order. A client far behind may have more changes to catch up
 * than a frame holds: they go in chunks of at most `maxBytes` (`more` set, no entries, the cursor the client
 * sent), then the last chunk with the entries and the new cursor.
 */
export function partMessages(
  part: BootstrapPart,
  asked: BootstrapCursor,
  fingerprint: Uint8Array,
  total: number,
  maxBytes: number,
): PartMessage[] {
  const chunks = updateChunks(part.updates, maxBytes);
  return chunks.map((updates, i) => {
    const last = i === chunks.length - 1;
    return {
      type: "bootstrapPart",
      slot: part.slot,
      fingerprint,
      entries: last ? part.entries : [],
      updates,
      lastKey: last ? part.cursor.lastKey : asked.lastKey,
      finished: last ? (part.cursor.finished ?? false) : false,
      more: !last,
      total,
    };
  });
}

/**
 * Client side: receives one part (`next` gives its messages in order) and applies it to `fs`. Chunks of
 * updates before the last message are applied at the cursor's slot: if the stream breaks among them, asking
 * again from the same cursor sends them again (an update is a whole value or a delete, so applying it twice
 * does no harm). Returns the last message, already applied; the caller's new cursor is its slot and key.
 */
export async function receivePart(
  fs: Pick<FinalStateAdmin, "applyBootstrapPart" | "backlog" | "drain">,
  cursor: BootstrapCursor,
  next: () => Promise<PartMessage>,
  server: string,
): Promise<PartMessage> {
  let m = await next();
  for (let chunks = 0; m.more; chunks++) {
    if (!cursor.slot)
      throw new CliError(`${server} sent updates before any state: bootstrap from another node`);
    if (chunks >= MAX_UPDATE_CHUNKS)
      throw new CliError(
        `${server} sent more than ${MAX_UPDATE_CHUNKS} chunks of updates in one part: bootstrap from another node`,
      );
    fs.applyBootstrapPart({ slot: cursor.slot, entries: [], updates: m.updates, cursor });
    if (fs.backlog.records > 32) await fs.drain();
    m = await next();
  }
  fs.applyBootstrapPart({
    slot: m.slot,
    entries: m.entries,
    updates: m.updates,
    cursor: { slot: m.slot, ...(m.lastKey ? { lastKey: m.lastKey } : {}), finished: m.finished },
  });
  return m;
}
