// How each service's status codes are named in wire logs. Add a service's
// namer here when its protocol module exists.
import { controlStatusName } from '../../protocol/control.js';
import { psaStatusName } from '../../protocol/psa/status.js';
import { tpm2PlatformStatusName } from '../../protocol/tpm2/platform.js';
import { teecName } from '../../protocol/rpmb/optee.js';
import { spmRetName } from '../../protocol/smm-variable/status.js';
import type { StatusDomain } from './signals.js';
import type { ServiceKey } from './types.js';

export const PSA_STATUS: StatusDomain = { name: psaStatusName };
export const TEEC_STATUS: StatusDomain = { name: teecName };

const NAMERS: Partial<Record<ServiceKey | 'control', (code: number) => string>> = {
  control: controlStatusName,
  its: psaStatusName,
  ps: psaStatusName,
  crypto: psaStatusName,
  tpm2: tpm2PlatformStatusName,
  rpmb: teecName,
  // the envelope status of smm-variable is the MM layer's ARM_SVC_SPM_RET_*; the EFI_STATUS is inside the buffer
  'smm-variable': spmRetName,
};

export function statusNameFor(service: string, code: number): string {
  const f = NAMERS[service as ServiceKey];
  return f ? f(code) : String(code);
}
