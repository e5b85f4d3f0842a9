// The part of the WebAssembly JavaScript API this package uses. Node has it; @types/node 20 does not
// declare it (TypeScript puts it in the DOM library, which a Node package should not pull in).
declare namespace WebAssembly {
  type ImportValue = ((...args: never[]) => unknown) | Global | Memory;
  type Imports = Record<string, Record<string, ImportValue>>;
  type Exports = Record<string, unknown>;
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Exports;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class Global {
    constructor(descriptor: { value: "i32" | "i64" | "f32" | "f64"; mutable?: boolean }, value?: unknown);
    value: unknown;
  }
  class CompileError extends Error {}
  class LinkError extends Error {}
  class RuntimeError extends Error {}
}
