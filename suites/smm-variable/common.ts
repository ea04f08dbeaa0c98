// Shared by the smm-variable checks: specs and clauses, the client, names and
// GUIDs that never collide across checks and runs, cleanup, and the
// expectations that judge the MM layer's code and the EFI_STATUS together.
import { SmmVariableClient, type Answer } from '../../clients/smm-variable.js';
import { hex } from '../../protocol/bytes.js';
import {
  EFI,
  attrName,
  efiStatusName,
  isEfiError,
  showName,
  spmRetName,
} from '../../protocol/smm-variable/index.js';
import type { CheckContext } from '../harness/types.js';

export const UEFI = 'UEFI Specification 2.10';
export const MM_ABI = 'edk2 SMM variable MM interface (MdeModulePkg/Include/Guid/SmmVariableCommon.h)';
export const VARCHECK = 'edk2 VarCheck protocol (MdeModulePkg/Include/Protocol/VarCheck.h, VarCheckLib)';

export const CLAUSE = {
  get: '8.2 Variable Services: GetVariable()',
  getNext: '8.2 Variable Services: GetNextVariableName()',
  set: '8.2 Variable Services: SetVariable()',
  query: '8.2 Variable Services: QueryVariableInfo()',
  auth2: '8.2 Variable Services: SetVariable(), Using the EFI_VARIABLE_AUTHENTICATION_2 descriptor',
  services: '8.2 Variable Services',
  globals: '3.3 Globally Defined Variables',
  keyExchange: '32.3 Firmware/OS Key Exchange',
  sigDb: '32.4.1 Signature Database',
  ebs: '7.4 Image Services: EFI_BOOT_SERVICES.ExitBootServices()',
  mmHeader: 'MdePkg/Include/Protocol/MmCommunication.h EFI_MM_COMMUNICATE_HEADER',
  mmHeaderV3: 'MdePkg/Include/Pi/PiMultiPhase.h EFI_MM_COMMUNICATE_HEADER_V3',
  handler: 'MdeModulePkg/Universal/Variable/RuntimeDxe/VariableSmm.c SmmVariableHandler',
  payloadSize: 'SmmVariableCommon.h SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE',
  readyToBoot: 'SmmVariableCommon.h SMM_VARIABLE_FUNCTION_READY_TO_BOOT',
  lock: 'SmmVariableCommon.h SMM_VARIABLE_FUNCTION_LOCK_VARIABLE (EDKII_VARIABLE_LOCK_PROTOCOL)',
  varCheck: 'VarCheck.h VAR_CHECK_VARIABLE_PROPERTY, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_SET/GET',
} as const;

export const CAP = {
  auth: 'smm-variable.authenticated',
  secureBoot: 'smm-variable.secure-boot',
  varCheck: 'smm-variable.var-check',
  lock: 'smm-variable.lock-variable',
  readyToBoot: 'smm-variable.ready-to-boot',
  v3: 'smm-variable.mm-header-v3',
  runtimeSet: 'smm-variable.runtime-set-variable',
  hwErr: 'smm-variable.hardware-error-records',
} as const;

export const SVC = ['smm-variable'] as const;
export const services = () => [...SVC] as ['smm-variable'];

export function client(t: CheckContext, opts?: ConstructorParameters<typeof SmmVariableClient>[1]): SmmVariableClient {
  return new SmmVariableClient(t.channel('smm-variable'), opts);
}

/** A vendor GUID no other check and no earlier run uses (run nonce + a per-run counter). */
export function newGuid(t: CheckContext): string {
  const n = t.unique();
  const nonce = (t.runNonce >>> 0).toString(16).padStart(8, '0');
  return `${nonce}-f5ec-4${(n >>> 12).toString(16).padStart(3, '0').slice(-3)}-8${(n & 0xfff).toString(16).padStart(3, '0')}-46575345${(n & 0xffff).toString(16).padStart(4, '0')}`;
}

/** A variable name unique in the run; deletion with Attributes 0 is registered (unless cleanup is false). */
export function newName(t: CheckContext, guid: string, prefix = 'Fwsec', cleanup = true): string {
  const name = `${prefix}${t.unique()}`;
  if (cleanup) t.defer(() => client(t).deleteVariable(name, guid));
  return name;
}

export function pattern(n: number, salt = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + salt * 97 + 7) & 0xff;
  return out;
}

const names = (l: bigint[]) => l.map(efiStatusName).join(' or ');

/** The call reached the service (MM code 0) and answered one of `expected`. */
export function expectEfi(t: CheckContext, r: Answer, expected: bigint | readonly bigint[], what: string): void {
  const list = typeof expected === 'bigint' ? [expected] : [...expected];
  if (r.spm !== 0) {
    t.fail(`${what}: the MM layer refused the buffer with ${spmRetName(r.spm)}`, { expected: `MM success, then ${names(list)}`, actual: spmRetName(r.spm) });
  }
  if (!list.includes(r.status)) t.fail(`${what}: returned ${efiStatusName(r.status)}`, { expected: names(list), actual: efiStatusName(r.status) });
}

/**
 * A request that must not succeed: the MM layer refused it, or ReturnStatus is
 * an error (or, when `sentinel` is given, is still the sentinel the caller
 * wrote: the handler left the buffer alone). Returns how it was refused.
 */
export function expectRefused(t: CheckContext, r: Answer, what: string, o: { allowed?: readonly bigint[]; sentinel?: bigint } = {}): string {
  if (r.spm !== 0) return `MM layer: ${spmRetName(r.spm)}`;
  if (o.sentinel !== undefined && r.status === o.sentinel) return `ReturnStatus left as the caller wrote it (${efiStatusName(r.status)})`;
  if (!isEfiError(r.status)) {
    t.fail(`${what}: the malformed or invalid request was answered ${efiStatusName(r.status)}`, {
      expected: o.allowed ? names([...o.allowed]) : 'an error status (or an MM-layer refusal)',
      actual: efiStatusName(r.status),
    });
  }
  if (o.allowed && !o.allowed.includes(r.status)) {
    t.fail(`${what}: returned ${efiStatusName(r.status)}`, { expected: names([...o.allowed]), actual: efiStatusName(r.status) });
  }
  return efiStatusName(r.status);
}

/** Precondition write; a refusal is itself a finding. */
export async function put(t: CheckContext, name: string, guid: string, attrs: number, data: Uint8Array): Promise<void> {
  const r = await client(t).setVariable(name, guid, attrs, data);
  expectEfi(t, r, EFI.SUCCESS, `precondition SetVariable(${showName(name)}, ${attrName(attrs)}, ${data.length} bytes)`);
}

/** GetVariable with room for the data: SUCCESS, the bytes and (if given) the attributes. */
export async function expectValue(t: CheckContext, name: string, guid: string, data: Uint8Array, what: string, attrs?: number): Promise<void> {
  // a little room to spare, but never more than a large variable needs (the MM payload is bounded)
  const r = await client(t).getVariable(name, guid, data.length + (data.length > 1024 ? 0 : 16));
  expectEfi(t, r, EFI.SUCCESS, `${what}: GetVariable(${showName(name)})`);
  t.expectEqual(r.dataSize, BigInt(data.length), `${what}: DataSize returned by GetVariable(${showName(name)})`);
  t.expectBytes(r.data, data, `${what}: data of ${showName(name)}`);
  if (attrs !== undefined) t.expectEqual(r.attributes, attrs, `${what}: Attributes of ${showName(name)}`, attrName);
}

export async function expectAbsent(t: CheckContext, name: string, guid: string, what: string): Promise<void> {
  const r = await client(t).getVariable(name, guid, 64);
  expectEfi(t, r, EFI.NOT_FOUND, `${what}: GetVariable(${showName(name)})`);
}

/** Every (guid, name) GetNextVariableName returns from the start to NOT_FOUND (bounded). */
export async function enumerate(t: CheckContext, limit = 5000): Promise<{ guid: string; name: string }[]> {
  const c = client(t);
  const out: { guid: string; name: string }[] = [];
  let name = '';
  let guid = '00000000-0000-0000-0000-000000000000';
  for (let i = 0; i < limit; i++) {
    const r = await c.getNextVariableName(name, guid, { bufferSize: 1024 });
    if (r.spm === 0 && r.status === EFI.NOT_FOUND) return out;
    expectEfi(t, r, EFI.SUCCESS, `GetNextVariableName after ${out.length} name(s)`);
    if (r.name === undefined) t.fail('GetNextVariableName answered SUCCESS without a NUL-terminated name');
    name = r.name;
    guid = r.guid;
    out.push({ guid, name });
  }
  t.fail(`GetNextVariableName did not end with EFI_NOT_FOUND after ${limit} names (a loop?)`, { expected: 'EFI_NOT_FOUND at the end', actual: `${limit} names, last ${showName(name)}` });
}

export function bytesNote(b: Uint8Array): string {
  return `${b.length} bytes ${hex(b, 24)}`;
}

/** Checks that change the boot phase (ReadyToBoot, ExitBootServices) reset the target afterwards. */
export function resetAfter(t: CheckContext): void {
  t.defer(() => t.reset());
}
