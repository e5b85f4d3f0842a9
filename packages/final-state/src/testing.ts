// Test oracles (not for production use): the entry hash computed the plain way (@noble/hashes' BLAKE3
// XOF digest), the reference the WebAssembly kernel is checked against, and the kernel itself (to check its
// SIMD and scalar batches apart). Import from "@massa-ts/final-state/testing".
export { Blake3XorKernel } from "./blake3-wasm.js";
export { entryHashReference } from "./hash.js";
