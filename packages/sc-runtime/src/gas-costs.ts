// Massa's gas costs for the legacy AssemblyScript runtime: its published table
// (massa-node/base_config/gas_costs/abi_gas_costs.json, the `assembly_script_*` entries, keyed here without
// that prefix) and the runtime's constants.

/** Gas of each host function as published (charged after `massaRound`) of module "massa" (and env's abort, seed, Date.now), charged before it runs. */
export const ABI_GAS: Readonly<Record<string, number>> = {
  abort: 1,
  address_from_public_key: 1570,
  append_data: 1060,
  append_data_for: 1290,
  call: 15000,
  caller_has_write_access: 775,
  chain_id: 785,
  console_debug: 855,
  console_error: 855,
  console_info: 855,
  console_log: 855,
  console_warn: 855,
  create_sc: 745000000,
  date_now: 355,
  deferred_call_cancel: 4165,
  deferred_call_exists: 6580,
  deferred_call_register: 2650,
  delete_data: 980,
  delete_data_for: 1100,
  evm_get_address_from_pubkey: 1120,
  evm_get_pubkey_from_signature: 1540,
  evm_signature_verify: 3310,
  function_exists: 2875,
  generate_event: 860,
  get_balance: 745,
  get_balance_for: 900,
  get_bytecode: 1100,
  get_bytecode_for: 1375,
  get_call_coins: 725,
  get_call_stack: 1560,
  get_current_period: 785,
  get_current_thread: 770,
  get_data: 1040,
  get_data_for: 1240,
  get_deferred_call_quote: 1220,
  get_keys: 1000,
  get_keys_for: 1195,
  get_op_data: 50000,
  get_op_keys: 1400,
  get_op_keys_prefix: 1400,
  get_origin_operation_id: 785,
  get_owned_addresses: 1600,
  get_remaining_gas: 580,
  get_time: 750,
  has_data: 845,
  has_data_for: 1220,
  has_op_key: 1455,
  hash: 1055,
  hash_sha256: 990,
  is_address_eoa: 450,
  keccak256_hash: 1055,
  local_call: 15000,
  local_execution: 314000000,
  print: 855,
  seed: 360,
  send_message: 40000000,
  set_bytecode: 745000000,
  set_bytecode_for: 745000000,
  set_data: 940,
  set_data_for: 1070,
  signature_verify: 1200,
  trace: 855,
  transfer_coins: 1045,
  transfer_coins_for: 1190,
  unsafe_random: 790,
  validate_address: 890,
};

export interface GasCosts {
  /** Every WebAssembly operator (the runtime's `operator_cost`). */
  readonly operator: number;
  /** Taken from the call's gas when a function is launched. */
  readonly launch: number;
  /** The gas a module's start function may use; also the least gas any call must bring. */
  readonly maxInstance: number;
  /** Compiling a module (Singlepass / Cranelift): charged by ExecuteSC and by the ABI functions that compile. */
  readonly spCompilation: number;
  readonly clCompilation: number;
  readonly abi: Readonly<Record<string, number>>;
}

/** Massa's runtime rounds every published cost to a multiple of 10 (a last digit of 5 or less rounds down). */
export function massaRound(v: number): number {
  const unit = v % 10;
  return unit > 5 ? v + 10 - unit : v - unit;
}

export const MASSA_GAS_COSTS: GasCosts = {
  operator: 23,
  launch: massaRound(15702),
  maxInstance: massaRound(2100000),
  spCompilation: massaRound(314000000),
  clCompilation: massaRound(745000000),
  abi: Object.fromEntries(Object.entries(ABI_GAS).map(([k, v]) => [k, massaRound(v)])),
};
