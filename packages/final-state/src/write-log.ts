/**
 * The writes of one settled slot, packed in one growing byte buffer: `u32 key length ‖ key ‖ u32 value
 * length (0xffffffff for a delete) ‖ value`, in write order. A slot of 5 000 balance changes is one
 * allocation of about 300 KB instead of 5 000 strings and arrays for the garbage collector to trace, which
 * matters when the bootstrap change history keeps hundreds of slots.
 */
const DELETE = 0xffff_ffff;

export class WriteLog {
  private buf: Uint8Array = new Uint8Array(4096);
  private view: DataView = new DataView(this.buf.buffer);
  private len = 0;
  /** Number of records. */
  count = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.reserve(8 + key.length + value.length);
    this.view.setUint32(this.len, key.length);
    this.buf.set(key, this.len + 4);
    this.len += 4 + key.length;
    this.view.setUint32(this.len, value.length);
    this.buf.set(value, this.len + 4);
    this.len += 4 + value.length;
    this.count++;
  }

  delete(key: Uint8Array): void {
    this.reserve(8 + key.length);
    this.view.setUint32(this.len, key.length);
    this.buf.set(key, this.len + 4);
    this.len += 4 + key.length;
    this.view.setUint32(this.len, DELETE);
    this.len += 4;
    this.count++;
  }

  /** Bytes held. */
  get byteLength(): number {
    return this.len;
  }

  /** Drops the spare capacity (called once the slot is settled). */
  seal(): void {
    if (this.buf.length > this.len) {
      this.buf = this.buf.slice(0, this.len);
      this.view = new DataView(this.buf.buffer);
    }
  }

  /** The packed bytes (after {@link seal}, the log's own buffer: do not modify). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** A log over packed bytes read back from the journal (validated: a torn record is an error). */
  static fromBytes(bytes: Uint8Array): WriteLog {
    const log = new WriteLog();
    log.buf = bytes;
    log.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    log.len = bytes.length;
    let at = 0;
    while (at < bytes.length) {
      if (at + 4 > bytes.length) throw new RangeError(`write log: truncated key length at byte ${at}`);
      const kl = log.view.getUint32(at);
      at += 4 + kl;
      if (at + 4 > bytes.length) throw new RangeError(`write log: truncated record at byte ${at}`);
      const vl = log.view.getUint32(at);
      at += 4 + (vl === DELETE ? 0 : vl);
      if (at > bytes.length) throw new RangeError(`write log: truncated value ending at byte ${at}`);
      log.count++;
    }
    return log;
  }

  /**
   * Calls `fn` with every record in write order, as Node Buffers viewing the log (what lmdb's writes take):
   * two views a record, where {@link records} makes two views, a pair and a generator step. (A Buffer's
   * `slice` is a view, not a copy: hand these only to code that copies what it keeps.)
   */
  forEachRecord(fn: (key: Buffer, value: Buffer | null) => void): void {
    const ab = this.buf.buffer;
    const base = this.buf.byteOffset;
    let at = 0;
    while (at < this.len) {
      const kl = this.view.getUint32(at);
      const key = Buffer.from(ab, base + at + 4, kl);
      at += 4 + kl;
      const vl = this.view.getUint32(at);
      at += 4;
      if (vl === DELETE) fn(key, null);
      else {
        fn(key, Buffer.from(ab, base + at, vl));
        at += vl;
      }
    }
  }

  /** The records in write order (keys and values are views into the log). */
  *records(): Generator<[Uint8Array, Uint8Array | null]> {
    let at = 0;
    while (at < this.len) {
      const kl = this.view.getUint32(at);
      const key = this.buf.subarray(at + 4, at + 4 + kl);
      at += 4 + kl;
      const vl = this.view.getUint32(at);
      at += 4;
      if (vl === DELETE) {
        yield [key, null];
      } else {
        yield [key, this.buf.subarray(at, at + vl)];
        at += vl;
      }
    }
  }
}
