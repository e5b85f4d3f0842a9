export {
  type EventFilter,
  Execution,
  type OperationStatus,
  type ReadLevel,
  type SlotOutput,
} from "./execution.js";
export { Layer, View } from "./layers.js";
export type { ReadOnlyOutcome, ReadOnlyRequest, ReadOnlyTarget } from "./sc/read-only.js";
export { operationBlockGas } from "./sc/run-operation.js";
export {
  DEFAULT_EXECUTION_CONFIG,
  DEFAULT_SC_CONFIG,
  type ExecBlock,
  type ExecutedOpRecord,
  type ExecutionConfig,
  ExecutionError,
  type ExecutionEvent,
  type ScConfig,
  type TransferReceipt,
} from "./types.js";
