// AssemblyScript's memory conventions, as Massa's runtime reads and writes them: a managed object's
// payload is preceded by its runtime class id (at ptr − 8) and its byte size (at ptr − 4); strings are
// UTF-16LE, ArrayBuffers raw bytes. New objects come from the module's own allocator (`__new`).

/** AssemblyScript's class ids of the two managed types the ABI passes. */
export const ARRAY_BUFFER_ID = 1;
export const STRING_ID = 2;

/** A wrong pointer or object from the contract: its call fails with this message. */
export class AbiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AbiError";
  }
}

export interface AsExports {
  readonly memory: WebAssembly.Memory;
  readonly __new?: (size: number, id: number) => number;
  readonly __pin?: (ptr: number) => number;
  readonly __unpin?: (ptr: number) => void;
}

export class AsMemory {
  constructor(private readonly exports: AsExports) {}

  private view(): DataView {
    return new DataView(this.exports.memory.buffer);
  }

  /**
   * The payload of the managed object at `ptr`: its size is read before it; its class id is not checked,
   * as Massa's runtime does not (massa-as-sdk passes StaticArray<u8> where the ABI says ArrayBuffer).
   */
  private object(ptr: number, what: string): Uint8Array {
    const buf = this.exports.memory.buffer;
    if (ptr < 8 || ptr > buf.byteLength) throw new AbiError(`${what}: pointer ${ptr} outside memory`);
    const v = this.view();
    const size = v.getUint32(ptr - 4, true);
    if (ptr + size > buf.byteLength) throw new AbiError(`${what}: object at ${ptr} runs past memory`);
    return new Uint8Array(buf, ptr, size);
  }

  /** An ArrayBuffer's bytes (copied). */
  bytes(ptr: number, what = "buffer"): Uint8Array {
    return this.object(ptr, what).slice();
  }

  /** A string (UTF-16LE). */
  string(ptr: number, what = "string"): string {
    const b = this.object(ptr, what);
    if (b.length % 2 !== 0) throw new AbiError(`${what}: odd UTF-16 length ${b.length}`);
    let s = "";
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    for (let i = 0; i < b.length; i += 2) s += String.fromCharCode(v.getUint16(i, true));
    return s;
  }

  /** A new object from the module's allocator; strings are pinned (as Massa's runtime does), buffers not. */
  private alloc(size: number, id: number): number {
    const { __new, __pin } = this.exports;
    if (!__new) throw new AbiError("the module exports no __new: compile it with --exportRuntime");
    const ptr = __new(size, id) >>> 0;
    return id === STRING_ID && __pin ? __pin(ptr) >>> 0 : ptr;
  }

  /** A new ArrayBuffer holding `data`; returns its pointer . */
  newBytes(data: Uint8Array): number {
    const ptr = this.alloc(data.length, ARRAY_BUFFER_ID);
    new Uint8Array(this.exports.memory.buffer, ptr, data.length).set(data);
    return ptr;
  }

  /** A new string; returns its pointer . */
  newString(s: string): number {
    const ptr = this.alloc(s.length * 2, STRING_ID);
    const v = this.view();
    for (let i = 0; i < s.length; i++) v.setUint16(ptr + 2 * i, s.charCodeAt(i), true);
    return ptr;
  }
}
