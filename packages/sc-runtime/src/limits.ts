// What a contract module may be: Massa's runtime limits (massa-models `constants.rs`, the runtime's
// "condom" middleware and its memory tunables), and the two of ours that Node's WebAssembly needs.

export interface ModuleLimits {
  /** Bytecode length (MAX_BYTECODE_LENGTH). */
  readonly maxBytecode: number;
  /** Linear memory pages of 64 KiB (the runtime's max_number_of_pages). */
  readonly maxPages: number;
  readonly maxExports: number;
  /** Imported plus defined functions. */
  readonly maxFunctions: number;
  /** Parameters plus results of one function type. */
  readonly maxSignatureLen: number;
  readonly maxImports: number;
  readonly maxTableInitializers: number;
  readonly maxPassiveElements: number;
  readonly maxPassiveData: number;
  readonly maxGlobalInitializers: number;
  readonly maxNameLen: number;
  readonly maxTables: number;
  readonly maxMemories: number;
  readonly maxCustomSections: number;
  readonly maxCustomSectionData: number;
  /** Ours: table entries (V8 allocates a table of its declared size at once). */
  readonly maxTableSize: number;
  /** Ours: locals of one function (a frame's size on V8's stack grows with them). */
  readonly maxLocals: number;
}

export const MASSA_MODULE_LIMITS: ModuleLimits = {
  maxBytecode: 10_000_000,
  maxPages: 64,
  maxExports: 512 + 512,
  maxFunctions: 512 + 256,
  maxSignatureLen: 64 + 8,
  maxImports: 256 + 1,
  maxTableInitializers: 512,
  maxPassiveElements: 512,
  maxPassiveData: 512,
  maxGlobalInitializers: 512,
  maxNameLen: 256,
  maxTables: 16,
  maxMemories: 1,
  maxCustomSections: 1,
  maxCustomSectionData: 1_000_000,
  maxTableSize: 100_000,
  maxLocals: 50_000,
};
