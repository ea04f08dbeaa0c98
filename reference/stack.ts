// The reference stack: every service of the "board in software", composed
// over one non-volatile medium. Requests are handled one at a time, as a
// secure world does. A reboot drops all volatile state and rebuilds every
// service from the medium.
import { PSA } from '../protocol/psa/status.js';
import { STORAGE_DEFINED_FLAGS } from '../protocol/psa/storage.js';
import { ControlOpcode, ControlStatus, encodeHello, type Hello } from '../protocol/control.js';
import { VERSION } from '../protocol/envelope.js';
import {
  SERVICES,
  TARGET_SERVICES,
  serviceName,
  type ServiceResponse,
  type TargetService,
} from '../protocol/services.js';
import { referenceConfig, type ReferenceConfig } from './config.js';
import { MemoryMedium, type Medium } from './medium.js';
import { SERVICE_DEFS, type ServiceHandler } from './services.js';
import { AssetStore, type AssetBackend, type StoreLimits } from './storage/asset-store.js';
import { MediumBackend } from './storage/medium-backend.js';
import { RpmbBoard, type BoardOptions } from './rpmb/board.js';
import { FailedBackend, RpmbFs, RpmbFsBackend } from './storage/rpmb-fs.js';
import { ReeFsBackend, rootPartition } from './storage/ree-fs.js';

const EMPTY = new Uint8Array(0);

export interface StackEnv {
  readonly config: ReferenceConfig;
  readonly medium: Medium;
  /** An ITS partition ("ns" is the normal-world caller; services use their own names). */
  its(partition: string, limits?: StoreLimits): Promise<AssetStore>;
  /** A PS partition. */
  ps(partition: string, limits?: StoreLimits): Promise<AssetStore>;
  /**
   * The board's RPMB devices and the secure world's driver (the rpmb service
   * serves them). Optional so that environments built by hand in tests need
   * not provide one; ReferenceStack always does.
   */
  rpmb?(): Promise<RpmbBoard>;
  log(line: string): void;
}

export interface StackOptions {
  config?: unknown;
  medium?: Medium;
  /** Services to run (default: every service the reference implements). */
  services?: readonly TargetService[];
  log?: (line: string) => void;
  agent?: string;
  /** Test seams of the RPMB hardware (faulty device engines, a lossy frame transport). */
  rpmb?: BoardOptions;
}

export class ReferenceStack {
  readonly config: ReferenceConfig;
  readonly medium: Medium;
  private handlers = new Map<number, { handler: ServiceHandler; failureStatus: number }>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly wanted: TargetService[];
  private readonly log: (line: string) => void;
  private readonly agent: string;
  private readonly boardOptions: BoardOptions;
  /** Exceptions thrown by service handlers (reference bugs); tests assert it stays 0. */
  internalErrors = 0;
  lastInternalError: unknown;
  boots = 0;

  private constructor(opts: StackOptions) {
    this.config = referenceConfig(opts.config);
    this.medium = opts.medium ?? new MemoryMedium();
    this.wanted = [...(opts.services ?? TARGET_SERVICES)].filter((s) => SERVICE_DEFS[s]);
    this.log = opts.log ?? (() => {});
    this.agent = opts.agent ?? 'fwsec reference';
    this.boardOptions = opts.rpmb ?? {};
  }

  static async boot(opts: StackOptions = {}): Promise<ReferenceStack> {
    const s = new ReferenceStack(opts);
    await s.start();
    return s;
  }

  get services(): TargetService[] {
    return [...this.wanted];
  }

  private async start(): Promise<void> {
    const stores = new Map<string, Promise<AssetStore>>();
    const cfg = this.config;
    const medium = this.medium;
    const log = this.log;
    // the RPMB hardware and the ITS file store on it, built on first use in this boot
    let board: Promise<RpmbBoard> | undefined;
    const rpmb = () => (board ??= RpmbBoard.open(medium, cfg.rpmb, { log, ...this.boardOptions }));
    let fs: Promise<RpmbFs> | undefined;
    const itsFs = () =>
      (fs ??= rpmb().then((b) =>
        RpmbFs.mount(b.host, b.hostRegion, { dirEntries: cfg.rpmb.itsDirEntries, key: b.storageKey('ITS data on RPMB'), log }),
      ));
    const backend = async (kind: 'its' | 'ps', partition: string, key: string): Promise<AssetBackend> => {
      if (kind === 'its') {
        if (cfg.its.backend === 'medium') return new MediumBackend(medium, key, PSA.ERROR_STORAGE_FAILURE);
        const fs = await itsFs().catch((e: Error) => e);
        // an unreadable file store: every ITS request answers PSA_ERROR_STORAGE_FAILURE
        if (fs instanceof Error) return new FailedBackend(PSA.ERROR_STORAGE_FAILURE, `ITS on RPMB unavailable: ${fs.message}`, log);
        return new RpmbFsBackend(fs, partition);
      }
      if (cfg.ps.backend === 'medium') return new MediumBackend(medium, key, PSA.ERROR_DATA_CORRUPT);
      try {
        const rootsPartition = rootPartition(partition);
        const roots = await backend('its', rootsPartition, `its/${rootsPartition}`);
        return await ReeFsBackend.open(medium, partition, (await rpmb()).storageKey(`PS REE file key ${partition}`), roots);
      } catch (e) {
        // no trustworthy root: every PS request answers PSA_ERROR_STORAGE_FAILURE
        return new FailedBackend(PSA.ERROR_STORAGE_FAILURE, `PS ${partition} unavailable: ${(e as Error).message}`, log);
      }
    };
    const open = (kind: 'its' | 'ps', partition: string, limits?: StoreLimits): Promise<AssetStore> => {
      const key = `${kind}/${partition}`;
      let s = stores.get(key);
      if (!s) {
        const base = cfg[kind];
        s = backend(kind, partition, key).then((b) =>
          AssetStore.open(b, {
            kind,
            ...(limits ?? base),
            supportedFlags: base.supportedFlags ?? STORAGE_DEFINED_FLAGS,
            setExtended: kind === 'ps' && cfg.ps.setExtended,
          }),
        );
        stores.set(key, s);
      }
      return s;
    };
    const env: StackEnv = {
      config: cfg,
      medium: this.medium,
      its: (p, l) => open('its', p, l),
      ps: (p, l) => open('ps', p, l),
      rpmb,
      log: this.log,
    };
    const handlers = new Map<number, { handler: ServiceHandler; failureStatus: number }>();
    for (const name of this.wanted) {
      const def = SERVICE_DEFS[name]!;
      handlers.set(SERVICES[name], { handler: await def.create(env), failureStatus: def.failureStatus });
    }
    this.handlers = handlers;
    this.boots += 1;
  }

  hello(): Hello {
    return {
      protocolVersion: VERSION,
      maxBody: this.config.maxBody,
      services: [SERVICES.control, ...this.wanted.map((s) => SERVICES[s])],
      agent: this.agent,
    };
  }

  /** Serialises `fn` after every earlier request. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Reboot: volatile state is lost, the medium is kept. */
  reboot(): Promise<void> {
    return this.exclusive(() => this.start());
  }

  /**
   * Handles one request of `service`. Undefined services answer
   * `undefined` (the caller turns that into an envelope error). Never throws.
   */
  handle(service: number, opcode: number, body: Uint8Array): Promise<ServiceResponse | undefined> {
    if (service === SERVICES.control) return this.control(opcode, body);
    return this.exclusive(async () => {
      const h = this.handlers.get(service);
      if (!h) return undefined;
      try {
        return await h.handler(opcode, body);
      } catch (e) {
        this.internalErrors += 1;
        this.lastInternalError = e;
        this.log(`internal error in ${serviceName(service)} opcode 0x${opcode.toString(16)}: ${(e as Error)?.stack ?? e}`);
        return { status: h.failureStatus, body: EMPTY };
      }
    });
  }

  private async control(opcode: number, body: Uint8Array): Promise<ServiceResponse> {
    switch (opcode) {
      case ControlOpcode.HELLO:
        return { status: ControlStatus.OK, body: encodeHello(this.hello()) };
      case ControlOpcode.RESET:
        try {
          await this.reboot();
          return { status: ControlStatus.OK, body: EMPTY };
        } catch (e) {
          this.internalErrors += 1;
          this.lastInternalError = e;
          return { status: ControlStatus.FAILED, body: EMPTY };
        }
      case ControlOpcode.ECHO:
        return { status: ControlStatus.OK, body: body.slice() };
      default:
        return { status: ControlStatus.NOT_SUPPORTED, body: EMPTY };
    }
  }
}
