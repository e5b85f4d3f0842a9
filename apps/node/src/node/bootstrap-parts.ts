// One part of a bootstrap stream on the wire, both ends: the server cuts a part's updates into messages that
// fit a frame; the client applies them in order, moving its cursor only with the last one.
import type { BootstrapCursor, BootstrapPart, FinalStateAdmin } from "@massa-ts/final-state";
import { compareBytes } from "@massa-ts/models";
import { type Message, updateChunks, type ValuePiece } from "@massa-ts/protocol";
import { CliError } from "../errors.js";

export type PartMessage = Extract<Message, { type: "bootstrapPart" }>;

/** Chunks of updates in one part (each up to ~1 MB); a server sending more is refused. */
export const MAX_UPDATE_CHUNKS = 1_000;
/** Bytes of large values one part may carry in pieces (a client refuses more: 10 values of 10 MB). */
export const MAX_PIECE_BYTES = 100_000_000;

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
  // values larger than half a part go first, in pieces of at most `maxBytes` (a frame holds them)
  const big = (v: Uint8Array | null): v is Uint8Array => v !== null && v.length > maxBytes / 2;
  const pieces: PartMessage[] = [];
  const head = {
    type: "bootstrapPart" as const,
    slot: part.slot,
    fingerprint,
    entries: [],
    updates: [],
    lastKey: asked.lastKey,
    finished: false,
    more: true,
    total,
  };
  const cut = (kind: ValuePiece["kind"], key: Uint8Array, value: Uint8Array) => {
    for (let offset = 0; offset < value.length; offset += maxBytes)
      pieces.push({
        ...head,
        piece: { kind, key, offset, length: value.length, data: value.subarray(offset, offset + maxBytes) },
      });
  };
  for (const [k, v] of part.entries) if (big(v)) cut("entry", k, v);
  for (const [k, v] of part.updates) if (big(v)) cut("update", k, v);
  const entries = part.entries.filter(([, v]) => !big(v));
  const chunks = updateChunks(
    part.updates.filter(([, v]) => !big(v)),
    maxBytes,
  );
  return [
    ...pieces,
    ...chunks.map((updates, i): PartMessage => {
      const last = i === chunks.length - 1;
      return {
        type: "bootstrapPart",
        slot: part.slot,
        fingerprint,
        entries: last ? entries : [],
        updates,
        lastKey: last ? part.cursor.lastKey : asked.lastKey,
        finished: last ? (part.cursor.finished ?? false) : false,
        more: !last,
        total,
      };
    }),
  ];
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
  const bigEntries: [Uint8Array, Uint8Array][] = [];
  const bigUpdates: [Uint8Array, Uint8Array][] = [];
  /** The large value being assembled from its pieces. */
  let open: { piece: ValuePiece; value: Uint8Array; received: number } | undefined;
  let pieceBytes = 0;
  const refuse = (why: string): never => {
    throw new CliError(`${server} ${why}: bootstrap from another node`);
  };
  let chunks = 0;
  while (m.more) {
    const pc = m.piece;
    if (pc) {
      if (pc.data.length === 0) refuse("sent an empty piece of a value");
      if (!open) {
        if (pc.offset !== 0) refuse("sent a piece of a value without its beginning");
        pieceBytes += pc.length;
        if (pieceBytes > MAX_PIECE_BYTES)
          refuse(`sent more than ${MAX_PIECE_BYTES} bytes of large values in one part`);
        open = { piece: pc, value: new Uint8Array(pc.length), received: 0 };
      } else if (
        pc.kind !== open.piece.kind ||
        pc.length !== open.piece.length ||
        compareBytes(pc.key, open.piece.key) !== 0 ||
        pc.offset !== open.received
      )
        refuse("sent the pieces of a value out of order");
      open.value.set(pc.data, pc.offset);
      open.received += pc.data.length;
      if (open.received === open.piece.length) {
        (open.piece.kind === "entry" ? bigEntries : bigUpdates).push([open.piece.key, open.value]);
        open = undefined;
      }
    } else {
      if (open) refuse("left a large value unfinished");
      if (!cursor.slot) refuse("sent updates before any state");
      if (++chunks > MAX_UPDATE_CHUNKS)
        refuse(`sent more than ${MAX_UPDATE_CHUNKS} chunks of updates in one part`);
      fs.applyBootstrapPart({ slot: cursor.slot!, entries: [], updates: m.updates, cursor });
      if (fs.backlog.records > 32) await fs.drain();
    }
    m = await next();
  }
  if (open) refuse("left a large value unfinished");
  const byKey = (a: readonly [Uint8Array, unknown], b: readonly [Uint8Array, unknown]) =>
    compareBytes(a[0], b[0]);
  const entries = bigEntries.length ? [...m.entries, ...bigEntries].sort(byKey) : m.entries;
  const updates = bigUpdates.length ? [...m.updates, ...bigUpdates].sort(byKey) : m.updates;
  fs.applyBootstrapPart({
    slot: m.slot,
    entries,
    updates,
    cursor: { slot: m.slot, ...(m.lastKey ? { lastKey: m.lastKey } : {}), finished: m.finished },
  });
  return m;
}
