// Test oracles (not for production use): a plain in-memory ledger model that ledger changes apply to,
// the reference the LMDB-backed ledger is checked against. Import from "@massa-ts/ledger/testing".
export { applyChangesToModel, type LedgerModel } from "./changes.js";
