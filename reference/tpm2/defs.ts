// Shared definitions of the reference TPM: the error a command throws, the
// parameter reader that numbers parameters for TPM_RC_P codes, command
// definitions, and the entities a TPM holds (objects, sequences, sessions,
// NV indices).
import { TpmDecodeError, TpmReader } from '../../protocol/tpm2/marshal.js';
import { rcName, rcP } from '../../protocol/tpm2/rc.js';
import type { Sensitive, SymDef, TpmtPublic, NvPublic } from '../../protocol/tpm2/structures.js';
import type { KeyMaterial } from './keys.js';
import type { Tpm } from './tpm.js';

/** A command's failure: `rc` is the complete response code (with its parameter / handle / session number). */
export class TpmError extends Error {
  constructor(
    readonly rc: number,
    why?: string,
  ) {
    super(why ? `${rcName(rc)}: ${why}` : rcName(rc));
    this.name = 'TpmError';
  }
}

export function fail(rc: number, why?: string): never {
  throw new TpmError(rc, why);
}

/** Reads a command's parameters one by one; an unmarshalling error gets the parameter's number. */
export class Params {
  n = 0;
  constructor(readonly r: TpmReader) {}
  next<T>(read: (r: TpmReader) => T): T {
    this.n += 1;
    try {
      return read(this.r);
    } catch (e) {
      if (e instanceof TpmDecodeError) throw new TpmError(rcP(e.rc, this.n), e.message);
      throw e;
    }
  }
  /** Number of the next parameter to be read (for errors found while reading it). */
  get current(): number {
    return this.n;
  }
}

/**
 * How a handle in a command's handle area is unmarshalled (Part 2 TPMI_
 * types; `+` types also accept TPM_RH_NULL) and which authorization role it
 * needs.
 */
export type HandleType =
  | 'object' // TPMI_DH_OBJECT
  | 'object+'
  | 'pcr' // TPMI_DH_PCR
  | 'pcr+'
  | 'hierarchy' // TPMI_RH_HIERARCHY
  | 'hierarchy+'
  | 'enables+' // TPMI_RH_HIERARCHY (HierarchyControl authHandle)
  | 'provision' // TPMI_RH_PROVISION
  | 'clear' // TPMI_RH_CLEAR
  | 'lockout' // TPMI_RH_LOCKOUT
  | 'hierarchyAuth' // TPMI_RH_HIERARCHY_AUTH
  | 'nvAuth' // TPMI_RH_NV_AUTH
  | 'nvIndex' // TPMI_RH_NV_INDEX
  | 'policySession' // TPMI_SH_POLICY
  | 'context' // TPMI_DH_CONTEXT
  | 'entity+' // TPMI_DH_ENTITY+
  | 'entity'
  | 'platform'; // TPMI_RH_PLATFORM

export type AuthRole = 'user' | 'admin' | 'dup';

export interface HandleDef {
  type: HandleType;
  auth?: AuthRole;
}

export interface Output {
  handle?: number;
  params: Uint8Array;
}

/** What the dispatcher learned about a command while checking its authorizations. */
export interface CommandState {
  cc: number;
  locality: number;
  handles: number[];
  /** cpHash of the command for a hash algorithm (computed on demand). */
  cpHash(alg: number): Uint8Array;
}

export interface CommandDef {
  cc: number;
  handles: HandleDef[];
  /** Startup, ContextSave, ContextLoad, FlushContext: no authorization area allowed. */
  noSessions?: boolean;
  /** A handle is returned in the response handle area. */
  rHandle?: boolean;
  /** TPMA_CC.nv: the command may write NV. */
  nv?: boolean;
  /** TPMA_CC.flushed: the command may flush an object or session. */
  flushed?: boolean;
  /** The first command parameter is a TPM2B that a decrypt session may encrypt. */
  decrypt?: boolean;
  /** The first response parameter is a TPM2B that an encrypt session may encrypt. */
  encrypt?: boolean;
  parse(p: Params, tpm: Tpm, handles: number[]): unknown;
  run(tpm: Tpm, handles: number[], input: any, cmd: CommandState): Output | Promise<Output>;
}

export function define<I>(def: Omit<CommandDef, 'parse' | 'run'> & { parse(p: Params, tpm: Tpm, handles: number[]): I; run(tpm: Tpm, handles: number[], input: I, cmd: CommandState): Output | Promise<Output> }): CommandDef {
  return def as CommandDef;
}

// ------------------------------------------------------------ entities

export interface KeyObject {
  kind: 'key';
  pub: TpmtPublic;
  pubBytes: Uint8Array;
  name: Uint8Array;
  qualifiedName: Uint8Array;
  hierarchy: number;
  /** Undefined for a public-only object (LoadExternal of a public area). */
  sens?: Sensitive;
  material?: KeyMaterial;
  /** Set when this is the image of a persistent object. */
  persistentHandle?: number;
}

export interface SequenceObject {
  kind: 'sequence';
  auth: Uint8Array;
  /** TPM_ALG_NULL: an event sequence (every PCR bank). */
  hashAlg: number;
  /** Data hashed so far (kept so a sequence can be context-saved). */
  data: Uint8Array[];
  dataLength: number;
  /** False once the data began with TPM_GENERATED_VALUE (no ticket then). */
  ticketOk: boolean;
  started: boolean;
}

export type TransientObject = KeyObject | SequenceObject;

export interface Session {
  handle: number;
  /** TPM_SE_HMAC, TPM_SE_POLICY or TPM_SE_TRIAL. */
  type: number;
  authHash: number;
  nonceTPM: Uint8Array;
  sessionKey: Uint8Array;
  symmetric: SymDef;
  isBound: boolean;
  boundName: Uint8Array;
  boundAuth: Uint8Array;
  isDaBound: boolean;
  isLockoutBound: boolean;
  policyDigest: Uint8Array;
  commandCode: number;
  cpHash: Uint8Array;
  isAuthValueNeeded: boolean;
  isPasswordNeeded: boolean;
  /** pcrUpdateCounter when PolicyPCR was run (-1 = never). */
  pcrCounter: number;
  /** TPMA_LOCALITY the policy requires (0 = any). */
  commandLocality: number;
}

export interface NvIndex {
  pub: NvPublic;
  auth: Uint8Array;
  data: Uint8Array;
}
