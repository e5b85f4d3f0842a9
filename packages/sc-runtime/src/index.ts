// @massa-ts/sc-runtime: Massa's AssemblyScript contract runtime on Node's WebAssembly.

export { OutOfGas, serializeKeys } from "./abi.js";
export { AbiError, ARRAY_BUFFER_ID, AsMemory, STRING_ID } from "./as-memory.js";
export { ABI_GAS, type GasCosts, MASSA_GAS_COSTS } from "./gas-costs.js";
export { type Host, UnsupportedError } from "./host.js";
export { DEPTH_BUDGET, instrument, type PreparedModule } from "./instrument.js";
export { MASSA_MODULE_LIMITS, type ModuleLimits } from "./limits.js";
export {
  type CallOutcome,
  type CompiledModule,
  MAX_CALL_DEPTH,
  type RuntimeOptions,
  ScError,
  ScRuntime,
} from "./runtime.js";
export { ModuleError } from "./wasm-binary.js";
