// Fault targets for the variable service whose bug lives in its state, not
// in its bytes (a store that accepts old timestamps, loses variables after a
// reboot, skips signature checks): a subclass of the reference service
// breaks one rule and is served as `inproc:NAME`, next to a real reference
// stack for everything else (ITS, PS, control/reset).
import { ControlOpcode } from '../../protocol/control.js';
import { PSA } from '../../protocol/psa/status.js';
import { STORAGE_DEFINED_FLAGS } from '../../protocol/psa/storage.js';
import { SERVICES } from '../../protocol/services.js';
import type { SmmVariableConfig } from '../../reference/smm-variable/config.js';
import { SmmVariableService } from '../../reference/smm-variable/service.js';
import type { VariableStore } from '../../reference/smm-variable/store.js';
import { FileMedium } from '../../reference/medium.js';
import { ReferenceStack, type StackEnv } from '../../reference/stack.js';
import { AssetStore } from '../../reference/storage/asset-store.js';
import { MediumBackend } from '../../reference/storage/medium-backend.js';
import { registerInprocTarget } from '../../transports/inproc.js';

export type VariantMaker = (store: VariableStore, cfg: SmmVariableConfig, boot: number) => SmmVariableService;

async function open(stack: ReferenceStack, make: VariantMaker, boot: number): Promise<SmmVariableService> {
  const env: StackEnv = {
    config: stack.config,
    medium: stack.medium,
    its: () => Promise.reject(new Error('not used')),
    ps: (partition, limits) =>
      AssetStore.open(new MediumBackend(stack.medium, `ps/${partition}`, PSA.ERROR_DATA_CORRUPT), {
        kind: 'ps',
        ...(limits ?? stack.config.ps),
        supportedFlags: STORAGE_DEFINED_FLAGS,
        setExtended: false,
      }),
    log: () => {},
  };
  return SmmVariableService.open(env, (store, cfg) => make(store, cfg, boot));
}

/** Registers `inproc:NAME`: the reference stack, with the variable service built by `make` at every boot. */
export function registerSmmVariant(name: string, make: VariantMaker): string {
  registerInprocTarget(name, async (env, uri) => {
    const state = uri.searchParams.get('state');
    const stack = await ReferenceStack.boot({ config: env.referenceConfig, medium: state ? new FileMedium(state) : undefined, services: ['its', 'ps'] });
    let boot = 1;
    let svc = await open(stack, make, boot);
    return {
      handle: async (service, opcode, body) => {
        if (service === SERVICES['smm-variable']) return svc.handle(opcode, body);
        const r = await stack.handle(service, opcode, body);
        if (service === SERVICES.control && opcode === ControlOpcode.RESET && r?.status === 0) svc = await open(stack, make, ++boot);
        return r;
      },
    };
  });
  return `inproc:${name}`;
}
