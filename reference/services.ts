// The services of the reference stack. Each entry builds a service's request
// handler from the stack environment at every boot; `failureStatus` is what
// the service answers if its handler throws (a reference bug, counted in
// ReferenceStack.internalErrors). Add a service by adding one entry.
import { PSA } from '../protocol/psa/status.js';
import type { ServiceResponse, TargetService } from '../protocol/services.js';
import type { StackEnv } from './stack.js';
import { storageHandler } from './storage/service.js';
import { Tpm2PlatformStatus } from '../protocol/tpm2/platform.js';
import { tpm2Handler } from './tpm2/service.js';
import { rpmbHandler, rpmbUnavailable } from './rpmb/service.js';
import { TEEC, teecStatus } from '../protocol/rpmb/optee.js';
import { cryptoHandler } from './crypto/service.js';
import { smmVariableHandler } from './smm-variable/service.js';
import { SPM_RET } from '../protocol/smm-variable/status.js';

export type ServiceHandler = (opcode: number, body: Uint8Array) => Promise<ServiceResponse>;

export interface ServiceDef {
  create(env: StackEnv): Promise<ServiceHandler>;
  failureStatus: number;
}

export const SERVICE_DEFS: Partial<Record<TargetService, ServiceDef>> = {
  its: {
    create: async (env) => storageHandler('its', await env.its('ns')),
    failureStatus: PSA.ERROR_GENERIC_ERROR,
  },
  ps: {
    create: async (env) => storageHandler('ps', await env.ps('ns')),
    failureStatus: PSA.ERROR_GENERIC_ERROR,
  },
  tpm2: {
    create: (env) => tpm2Handler(env),
    failureStatus: Tpm2PlatformStatus.FAILED,
  },
  rpmb: {
    create: async (env) =>
      env.rpmb ? env.rpmb().then(rpmbHandler, (e: Error) => rpmbUnavailable(e, env.log)) : rpmbUnavailable(new Error('no RPMB hardware in this environment'), env.log),
    failureStatus: teecStatus(TEEC.ERROR_GENERIC),
  },
  crypto: {
    create: async (env) => (await cryptoHandler(env)).handle,
    failureStatus: PSA.ERROR_GENERIC_ERROR,
  },
  'smm-variable': {
    create: (env) => smmVariableHandler(env),
    failureStatus: SPM_RET.DENIED,
  },
};
