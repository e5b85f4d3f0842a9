export {
  type EventFilter,
  Execution,
  type OperationStatus,
  type ReadLevel,
  type SlotOutput,
} from "./execution.js";
export { Layer, View } from "./layers.js";
export {
  DEFAULT_EXECUTION_CONFIG,
  type ExecBlock,
  type ExecutedOpRecord,
  type ExecutionConfig,
  ExecutionError,
  type ExecutionEvent,
  type TransferReceipt,
} from "./types.js";
