// Test oracles (not for production use): the entry hash computed the plain way (@noble/hashes' BLAKE3
// XOF digest), the reference the WebAssembly kernel is checked against. Import from
// "@massa-ts/final-state/testing".
export { entryHashReference } from "./hash.js";
