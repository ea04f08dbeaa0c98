// Fault-injected RPMB devices: the reference stack whose guest and test
// devices run an eMMC engine with one real-world bug (the board's physical
// eMMC stays healthy, so the secure world's storage keeps working). Each is
// registered as `inproc:rpmb-<name>` and driven through the rpmb service
// exactly as the healthy reference is.
import { computeMac } from '../../protocol/rpmb/frame.js';
import { EmmcRpmb, type ResultRegister, type RpmbDeviceInfo, type RpmbStore } from '../../reference/rpmb/device.js';
import type { DeviceRole } from '../../reference/rpmb/board.js';
import { ReferenceStack } from '../../reference/stack.js';
import { registerInprocTarget } from '../../transports/inproc.js';

type Engine = new (info: RpmbDeviceInfo, store: RpmbStore) => EmmcRpmb;

/** tee-supplicant RPMB_EMU: the write counter grows once per block written. */
class CounterPerBlock extends EmmcRpmb {
  protected override counterAfterWrite(counter: number, blocks: number): number {
    return counter + blocks;
  }
}

/** tee-supplicant RPMB_EMU: the write counter of the request is never compared. */
class CounterNeverChecked extends EmmcRpmb {
  protected override counterAccepted(): boolean {
    return true;
  }
}

/** Responses carry a zero nonce instead of the request's. */
class NonceNotEchoed extends EmmcRpmb {
  protected override echoNonce(nonce: Uint8Array): Uint8Array {
    return new Uint8Array(nonce.length);
  }
}

/** The MAC covers data and nonce only (bytes 228..499), not counter, address, count, result, type. */
class MacWrongRange extends EmmcRpmb {
  protected override mac(key: Uint8Array, frames: readonly Uint8Array[]): Uint8Array {
    const cut = frames.map((f) => {
      const c = f.slice();
      c.fill(0, 500, 512);
      return c;
    });
    return computeMac(key, cut);
  }
}

/** Multi-block reads carry the address of each half sector instead of the start address. */
class AddressPerFrame extends EmmcRpmb {
  protected override readFrameAddress(start: number, index: number): number {
    return start + index;
  }
}

/** A second key programming replaces the key. */
class KeyReprogrammable extends EmmcRpmb {
  protected override keyProgrammable(): boolean {
    return true;
  }
}

/** Off by one at the end of the partition: the last block is refused (OP-TEE 3b11b1d25). */
class LastBlockRefused extends EmmcRpmb {
  protected override inRange(address: number, count: number): boolean {
    return address + count < this.blocks;
  }
}

/** A multiplexer that passes result reads through to the one physical result register. */
let shared: ResultRegister | undefined;
class SharedResultRegister extends EmmcRpmb {
  protected override saveResult(r: ResultRegister | undefined): void {
    shared = r;
  }
  protected override loadResult(): ResultRegister | undefined {
    return shared;
  }
}

/** A multiplexer that checks addresses against the physical size, not the guest's: a guest spills into its neighbour. */
class GuestBoundsUnchecked extends EmmcRpmb {
  protected override inRange(address: number, count: number): boolean {
    return address + count <= 0x10000 - 8192;
  }
}

export const RPMB_FAULTS: Record<string, { engine: Engine; bug: string; roles?: DeviceRole[] }> = {
  'counter-per-block': { engine: CounterPerBlock, bug: 'counter +1 per block (tee-supplicant RPMB_EMU)' },
  'counter-never-checked': { engine: CounterNeverChecked, bug: 'request write counter never compared (tee-supplicant RPMB_EMU)' },
  'nonce-not-echoed': { engine: NonceNotEchoed, bug: 'nonce not copied into responses' },
  'mac-wrong-range': { engine: MacWrongRange, bug: 'MAC over bytes 228..499 instead of 228..511' },
  'address-per-frame': { engine: AddressPerFrame, bug: 'read frames carry per-frame addresses, not the start address' },
  'key-reprogrammable': { engine: KeyReprogrammable, bug: 'a second key programming is accepted' },
  'last-block-refused': { engine: LastBlockRefused, bug: 'address check off by one at the last block' },
  'shared-result-register': { engine: SharedResultRegister, bug: 'guests share the physical result register', roles: ['guest'] },
  'guest-bounds-unchecked': { engine: GuestBoundsUnchecked, bug: 'guest addresses checked against the physical device only', roles: ['guest'] },
};

/** Registers `inproc:rpmb-<name>` for every fault; returns name -> URI. */
export function registerRpmbFaults(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, f] of Object.entries(RPMB_FAULTS)) {
    const target = `rpmb-${name}`;
    registerInprocTarget(target, async (env) =>
      ReferenceStack.boot({
        config: env.referenceConfig,
        log: env.log,
        rpmb: {
          makeDevice: (info: RpmbDeviceInfo, store: RpmbStore, role: DeviceRole) =>
            (f.roles ?? ['guest', 'test']).includes(role) ? new f.engine(info, store) : new EmmcRpmb(info, store),
        },
      }),
    );
    out[name] = `inproc:${target}`;
  }
  return out;
}
