// The reference variable service's section of the reference config
// (`smmVariable` in a profile's `reference` object or `fwsec serve --config`).
export interface SmmVariableConfig {
  /** Largest MM communication buffer accepted (OP-TEE stmm_ns_comm_buf_size: 4 pages). */
  commBufferSize: number;
  /** edk2 PcdMaxVariableSize / PcdMaxAuthVariableSize: variable header + name + data. */
  maxVariableSize: number;
  /** edk2 PcdMaxVolatileVariableSize. */
  maxVolatileVariableSize: number;
  /** Bytes of NV variable storage (headers included), the quota QueryVariableInfo reports. */
  nvStorageSize: number;
  /** Bytes of volatile variable storage. */
  volatileStorageSize: number;
  /** Largest number of variables (NV and volatile together). */
  maxVariables: number;
  /** Time-based authenticated variables and Secure Boot keys (AuthVariableLib). */
  authenticated: boolean;
  /** EFI_VARIABLE_HARDWARE_ERROR_RECORD variables (edk2 PcdHwErrStorageSize != 0). */
  hardwareErrorRecords: boolean;
  /** Serve EFI_MM_COMMUNICATE_HEADER_V3 buffers. */
  mmHeaderV3: boolean;
  /**
   * ReturnStatus for a malformed payload (sizes that overflow or exceed the
   * buffer, an unterminated name): edk2 SmmVariableHandler answers
   * ACCESS_DENIED, Trusted Services INVALID_PARAMETER.
   */
  malformedStatus: 'ACCESS_DENIED' | 'INVALID_PARAMETER';
}

/** Size of edk2's AUTHENTICATED_VARIABLE_HEADER, counted for every stored variable. */
export const VARIABLE_HEADER_SIZE = 60;

export function defaultSmmVariableConfig(): SmmVariableConfig {
  return {
    commBufferSize: 16384,
    maxVariableSize: 8192,
    maxVolatileVariableSize: 8192,
    nvStorageSize: 131072,
    volatileStorageSize: 65536,
    maxVariables: 512,
    authenticated: true,
    hardwareErrorRecords: false,
    mmHeaderV3: true,
    malformedStatus: 'ACCESS_DENIED',
  };
}

export function smmVariableConfig(section: unknown): SmmVariableConfig {
  const base = defaultSmmVariableConfig();
  if (section === undefined) return base;
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw new Error('reference config: smmVariable must be an object');
  }
  const cfg = { ...base, ...(section as Partial<SmmVariableConfig>) };
  for (const k of ['commBufferSize', 'maxVariableSize', 'maxVolatileVariableSize', 'nvStorageSize', 'volatileStorageSize', 'maxVariables'] as const) {
    if (!Number.isSafeInteger(cfg[k]) || cfg[k] <= 0) {
      throw new Error(`reference config: smmVariable.${k} must be a positive integer, got ${JSON.stringify(cfg[k])}`);
    }
  }
  if (cfg.maxVariableSize <= VARIABLE_HEADER_SIZE + 4) throw new Error('reference config: smmVariable.maxVariableSize is too small');
  for (const k of ['authenticated', 'hardwareErrorRecords', 'mmHeaderV3'] as const) {
    if (typeof cfg[k] !== 'boolean') throw new Error(`reference config: smmVariable.${k} must be true or false`);
  }
  if (cfg.malformedStatus !== 'ACCESS_DENIED' && cfg.malformedStatus !== 'INVALID_PARAMETER') {
    throw new Error('reference config: smmVariable.malformedStatus must be "ACCESS_DENIED" or "INVALID_PARAMETER"');
  }
  return cfg;
}

/** VariablePayloadSize as edk2 computes it: MaxVariableSize + OFFSET_OF(VAR_CHECK comm, Name) - header. */
export function payloadSize(cfg: SmmVariableConfig): number {
  return Math.max(cfg.maxVariableSize, cfg.maxVolatileVariableSize) + 48 - VARIABLE_HEADER_SIZE;
}
