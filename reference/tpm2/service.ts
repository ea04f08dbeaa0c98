// The tpm2 service of the reference stack (fwsec envelope service 5):
// opcode SUBMIT carries a raw TPM command and its raw response; the other
// opcodes are platform signals (protocol/tpm2/platform.ts). NV state lives
// in the reference ITS partition "tpm2", so it survives a reboot (a reboot
// of the stack is _TPM_Init: the TPM then waits for TPM2_Startup).
import { Tpm2Op, Tpm2PlatformStatus } from '../../protocol/tpm2/platform.js';
import type { ServiceResponse } from '../../protocol/services.js';
import { mergeConfig } from '../config.js';
import type { StackEnv } from '../stack.js';
import { DEFAULT_TPM2_CONFIG, Tpm, type Tpm2Config } from './tpm.js';
import { TpmStore } from './store.js';

const EMPTY = new Uint8Array(0);
const ok = (body: Uint8Array = EMPTY): ServiceResponse => ({ status: Tpm2PlatformStatus.OK, body });
const status = (s: number): ServiceResponse => ({ status: s, body: EMPTY });

export function tpm2Config(raw: unknown): Tpm2Config {
  const cfg = mergeConfig(DEFAULT_TPM2_CONFIG, raw);
  for (const k of ['maxLoadedObjects', 'maxLoadedSessions', 'maxActiveSessions', 'nvBufferMax', 'maxNvIndexSize', 'nvSpace', 'maxNvIndices', 'maxPersistent', 'inputBuffer', 'maxCommandSize', 'maxResponseSize'] as const) {
    if (!Number.isSafeInteger(cfg[k]) || cfg[k] < 1) throw new Error(`reference config: tpm2.${k} must be a positive integer, got ${JSON.stringify(cfg[k])}`);
  }
  if (cfg.maxLoadedSessions > 0xffffff || cfg.maxActiveSessions < cfg.maxLoadedSessions) throw new Error('reference config: tpm2.maxActiveSessions must be at least maxLoadedSessions');
  return cfg;
}

export async function createTpm(env: StackEnv): Promise<Tpm> {
  const its = await env.its('tpm2', { maxAssetSize: 8192, capacity: 8 << 20, maxAssets: 8192 });
  return Tpm.create(new TpmStore(its), tpm2Config(env.config.tpm2), env.log);
}

export async function tpm2Handler(env: StackEnv): Promise<(opcode: number, body: Uint8Array) => Promise<ServiceResponse>> {
  const tpm = await createTpm(env);
  return async (opcode, body) => {
    switch (opcode) {
      case Tpm2Op.SUBMIT:
        return ok(await tpm.execute(body));
      case Tpm2Op.INIT:
        if (body.length) return status(Tpm2PlatformStatus.BAD_PARAMETER);
        tpm.powerOn();
        return ok();
      case Tpm2Op.SET_LOCALITY:
        if (body.length !== 1) return status(Tpm2PlatformStatus.BAD_PARAMETER);
        if (body[0]! > 4) return status(Tpm2PlatformStatus.BAD_LOCALITY);
        tpm.locality = body[0]!;
        return ok();
      case Tpm2Op.GET_LOCALITY:
        return ok(new Uint8Array([tpm.locality]));
      case Tpm2Op.HASH_START:
        if (!tpm.running) return status(Tpm2PlatformStatus.NOT_RUNNING);
        tpm.hashStart();
        return ok();
      case Tpm2Op.HASH_DATA:
        if (!tpm.running) return status(Tpm2PlatformStatus.NOT_RUNNING);
        tpm.hashData(body);
        return ok();
      case Tpm2Op.HASH_END:
        if (!tpm.running) return status(Tpm2PlatformStatus.NOT_RUNNING);
        tpm.hashEnd();
        return ok();
      case Tpm2Op.GET_ESTABLISHED:
        return ok(new Uint8Array([tpm.perm.tpmEstablished ? 1 : 0]));
      case Tpm2Op.RESET_ESTABLISHED:
        if (body.length !== 1) return status(Tpm2PlatformStatus.BAD_PARAMETER);
        return (await tpm.resetEstablished(body[0]!)) ? ok() : status(Tpm2PlatformStatus.BAD_LOCALITY);
      case Tpm2Op.STOP:
        tpm.stop();
        return ok();
      default:
        return status(Tpm2PlatformStatus.NOT_SUPPORTED);
    }
  };
}
