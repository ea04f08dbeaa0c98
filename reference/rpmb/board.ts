// The reference board's RPMB hardware and the secure world's hold on it:
//
//   dev_id 0        the physical eMMC RPMB partition (16 MiB by default);
//                   its key is derived from the HUK and the CID as OP-TEE does
//                   and programmed at first boot (CFG_RPMB_WRITE_KEY=y).
//                   Block 0 holds the shared-RPMB partition table; the host
//                   partition holds the secure world's ITS file store.
//   dev_id 0x100+i  guest i's virtual RPMB (reference/rpmb/multiplexer.ts)
//   dev_id 0x200+n  test devices made by the TEST_NEW_DEVICE hook
//
// The normal world reaches every device through the rpmb service, as
// tee-supplicant relays frames for OP-TEE: it can send anything, but
// cannot forge a MAC.
import { fromHex } from '../../protocol/bytes.js';
import { OPTEE_TEST_KEY, deriveOpteeRpmbKey } from '../../protocol/rpmb/optee.js';
import { BLOCKS_PER_SIZE_MULT } from '../../protocol/rpmb/frame.js';
import { DeviceKind, DEVICE_FLAG_CONFIG, type DeviceEntry, type NewDeviceRequest, decodeNewDevice, encodeNewDevice } from '../../protocol/rpmb/service.js';
import {
  GUEST_OVERHEAD_BLOCKS,
  PartitionKind,
  decodePartitionTable,
  encodePartitionTable,
  parseGuid,
  partitionTableProblems,
  type PartitionEntry,
} from '../../protocol/rpmb/vm.js';
import type { RpmbConfig } from '../config.js';
import type { Medium } from '../medium.js';
import { deriveStorageKey } from '../storage/keys.js';
import { EmmcRpmb, type RpmbDeviceInfo, type RpmbStore } from './device.js';
import { RpmbHost, type FrameTransport } from './host.js';
import { MediumRpmbStore } from './medium-store.js';
import { Multiplexer, defaultGuestDevice } from './multiplexer.js';

export const PHYSICAL_DEV_ID = 0;
export const TEST_DEV_BASE = 0x200;
export const MAX_TEST_DEVICES = 256;
export const REE_FS_PREFIX = 'ree-fs';

export type DeviceRole = 'emmc' | 'guest' | 'test';

export interface BoardOptions {
  /** Builds each device engine; fault-injected tests substitute a faulty subclass. */
  makeDevice?: (info: RpmbDeviceInfo, store: RpmbStore, role: DeviceRole) => EmmcRpmb;
  /** Wraps the secure world's frame transport to dev_id 0 (tests that lose answers). */
  wrapIo?: (io: FrameTransport) => FrameTransport;
  log?: (line: string) => void;
}

interface Served {
  devId: number;
  kind: number;
  device: EmmcRpmb;
  guid: Uint8Array;
}

const ZERO_GUID = new Uint8Array(16);

export class RpmbBoard {
  private readonly served = new Map<number, Served>();

  private constructor(
    readonly medium: Medium,
    readonly cfg: RpmbConfig,
    readonly huk: Uint8Array,
    readonly physical: EmmcRpmb,
    /** The secure world's driver for dev_id 0. */
    readonly host: RpmbHost,
    /** The secure world's own partition of dev_id 0 (the ITS file store). */
    readonly hostRegion: { first: number; blocks: number },
    readonly partitions: PartitionEntry[],
    readonly mux: Multiplexer,
    private readonly opts: BoardOptions,
  ) {}

  static async open(medium: Medium, cfg: RpmbConfig, opts: BoardOptions = {}): Promise<RpmbBoard> {
    const log = opts.log ?? (() => {});
    const make = opts.makeDevice ?? ((info, store) => new EmmcRpmb(info, store));
    const huk = fromHex(cfg.huk);
    const info: RpmbDeviceInfo = { ...cfg.device, cid: fromHex(cfg.device.cid) };
    const physical = await make(info, new MediumRpmbStore(medium, 'rpmb/emmc0'), 'emmc').powerOn();
    const key = cfg.keySource === 'testkey' ? OPTEE_TEST_KEY : deriveOpteeRpmbKey(huk, info.cid);
    const io: FrameTransport = (w, n, rel) => physical.transact(w, n, rel);
    const host = new RpmbHost(opts.wrapIo ? opts.wrapIo(io) : io, key, { blocks: physical.blocks, maxWriteBlocks: physical.maxWriteBlocks, log });

    // OP-TEE's RPMB init: verify the key with an authenticated counter read; program it on a blank part
    const counter = await host.readCounter().catch((e: Error) => {
      throw new Error(`RPMB (dev_id 0): ${e.message}; the device's key is not the one this HUK and CID give`);
    });
    if (counter === undefined) {
      log('RPMB: key not yet programmed; programming the derived key (CFG_RPMB_WRITE_KEY=y)');
      await host.programKey();
    }

    // the shared-RPMB partition table in block 0
    const [b0] = await host.read(0, 1);
    let partitions = decodePartitionTable(b0!);
    if (!partitions) {
      partitions = RpmbBoard.layout(cfg, physical.blocks);
      await host.write(0, [encodePartitionTable(partitions)]);
      log(`RPMB: partition table written (${partitions.length} partitions)`);
    }
    const problems = partitionTableProblems(partitions, physical.blocks);
    if (problems.length) throw new Error(`RPMB partition table unusable: ${problems.join('; ')}`);
    const hostPart = partitions.find((p) => p.kind === PartitionKind.HOST);
    if (!hostPart) throw new Error('RPMB partition table has no host partition');

    const mux = await Multiplexer.open(
      host,
      partitions,
      (guid) => deriveStorageKey(huk, `vRPMB metadata ${Buffer.from(guid).toString('hex')}`),
      (entry, store) => make({ sizeMult: entry.sizeMult, relWrSecC: 1, cid: defaultGuestDevice(entry, store).info.cid, deviceConfig: false }, store, 'guest'),
      log,
    );
    const board = new RpmbBoard(medium, cfg, huk, physical, host, { first: hostPart.first, blocks: hostPart.blocks }, partitions, mux, opts);
    board.served.set(PHYSICAL_DEV_ID, { devId: PHYSICAL_DEV_ID, kind: DeviceKind.EMMC, device: physical, guid: ZERO_GUID });
    for (const g of mux.guests) board.served.set(g.devId, { devId: g.devId, kind: DeviceKind.VIRTUAL, device: g.device, guid: g.entry.guid });
    for (const name of medium.list('rpmb/test')) {
      const n = Number.parseInt(name, 10);
      const spec = medium.read(`rpmb/test/${name}/spec`);
      if (!Number.isInteger(n) || !spec) continue;
      await board.attachTestDevice(n, decodeNewDevice(spec));
    }
    return board;
  }

  /** The partition table a blank device gets: the host partition, then one partition per guest. */
  static layout(cfg: RpmbConfig, deviceBlocks: number): PartitionEntry[] {
    const entries: PartitionEntry[] = [{ guid: ZERO_GUID, first: 1, blocks: cfg.hostBlocks, kind: PartitionKind.HOST, sizeMult: 0 }];
    let next = 1 + cfg.hostBlocks;
    for (const g of cfg.guests) {
      const blocks = GUEST_OVERHEAD_BLOCKS + g.sizeMult * BLOCKS_PER_SIZE_MULT;
      entries.push({ guid: parseGuid(g.guid), first: next, blocks, kind: PartitionKind.GUEST, sizeMult: g.sizeMult });
      next += blocks;
    }
    if (next > deviceBlocks) {
      throw new Error(`reference config: rpmb.hostBlocks and the guests need ${next} blocks; the device has ${deviceBlocks}`);
    }
    return entries;
  }

  get testHooks(): boolean {
    return this.cfg.testHooks;
  }

  device(devId: number): EmmcRpmb | undefined {
    return this.served.get(devId)?.device;
  }

  list(): DeviceEntry[] {
    return [...this.served.values()]
      .sort((a, b) => a.devId - b.devId)
      .map((s) => ({
        devId: s.devId,
        kind: s.kind,
        sizeMult: s.device.info.sizeMult,
        relWrSecC: s.device.info.relWrSecC,
        flags: s.device.info.deviceConfig ? DEVICE_FLAG_CONFIG : 0,
        cid: s.device.info.cid.slice(),
        guid: s.guid.slice(),
      }));
  }

  private async attachTestDevice(n: number, spec: NewDeviceRequest): Promise<number> {
    const make = this.opts.makeDevice ?? ((info, store) => new EmmcRpmb(info, store));
    const store = new MediumRpmbStore(this.medium, `rpmb/test/${n}`, spec.initialCounter);
    const device = await make({ sizeMult: spec.sizeMult, relWrSecC: spec.relWrSecC, cid: spec.cid, deviceConfig: spec.deviceConfig }, store, 'test').powerOn();
    const devId = TEST_DEV_BASE + n;
    this.served.set(devId, { devId, kind: DeviceKind.TEST, device, guid: ZERO_GUID });
    return devId;
  }

  /**
   * TEST_NEW_DEVICE: a factory-fresh eMMC (no key), persisted like the
   * others. Slots are used round-robin: the 257th device replaces the first,
   * so a long-lived --state directory does not fill up.
   */
  async newTestDevice(spec: NewDeviceRequest): Promise<number | string> {
    if (spec.sizeMult < 1 || spec.sizeMult > 128) return `size multiplier ${spec.sizeMult} outside 1..128`;
    if (spec.relWrSecC < 1) return 'REL_WR_SEC_C must be at least 1';
    const next = this.medium.read('rpmb/test-next');
    const n = next && next.length === 4 ? new DataView(next.buffer, next.byteOffset, 4).getUint32(0, true) % MAX_TEST_DEVICES : 0;
    this.forgetTestDevice(n);
    this.medium.write('rpmb/test-next', Uint8Array.of((n + 1) & 0xff, (n + 1) >> 8, 0, 0));
    this.medium.write(`rpmb/test/${n}/spec`, encodeNewDevice(spec));
    new MediumRpmbStore(this.medium, `rpmb/test/${n}`, spec.initialCounter).create();
    return this.attachTestDevice(n, spec);
  }

  private forgetTestDevice(n: number): void {
    const prefix = `rpmb/test/${n}`;
    for (const name of this.medium.list(`${prefix}/c`)) this.medium.delete(`${prefix}/c/${name}`);
    for (const name of ['journal', 'meta', 'spec']) this.medium.delete(`${prefix}/${name}`);
    this.served.delete(TEST_DEV_BASE + n);
  }

  // ---- the normal world's REE file system (where PS files live) ----

  /** A file's bytes; undefined for a missing path or a directory (FileMedium cannot read those). */
  private reeFile(key: string): Uint8Array | undefined {
    try {
      return this.medium.read(key);
    } catch {
      return undefined;
    }
  }

  reeList(prefix: string): string[] {
    const root = prefix ? `${REE_FS_PREFIX}/${prefix}` : REE_FS_PREFIX;
    const out: string[] = [];
    const walk = (key: string) => {
      for (const name of this.medium.list(key)) {
        const k = `${key}/${name}`;
        if (this.reeFile(k) !== undefined) out.push(k.slice(REE_FS_PREFIX.length + 1));
        else walk(k);
      }
    };
    if (prefix && this.reeFile(root) !== undefined) return [prefix];
    walk(root);
    return out.sort();
  }

  reeRead(path: string): Uint8Array | undefined {
    return this.reeFile(`${REE_FS_PREFIX}/${path}`);
  }

  /** False when the path names a directory or lies under a file. */
  reeWrite(path: string, content: Uint8Array): boolean {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      if (this.reeFile(`${REE_FS_PREFIX}/${parts.slice(0, i).join('/')}`) !== undefined) return false;
    }
    if (this.reeFile(`${REE_FS_PREFIX}/${path}`) === undefined && this.medium.list(`${REE_FS_PREFIX}/${path}`).length) return false;
    this.medium.write(`${REE_FS_PREFIX}/${path}`, content);
    return true;
  }

  reeDelete(path: string): boolean {
    if (this.reeFile(`${REE_FS_PREFIX}/${path}`) === undefined) return false;
    this.medium.delete(`${REE_FS_PREFIX}/${path}`);
    return true;
  }

  /** A storage key of the secure world (derived from the HUK). */
  storageKey(label: string): Uint8Array {
    return deriveStorageKey(this.huk, label);
  }
}
