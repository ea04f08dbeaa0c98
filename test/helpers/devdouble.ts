// The syscall-boundary test double for the device transports: builds
// test/native/devdouble.c with the machine's gcc, and serves the text lines
// it sends (one per open/ioctl/TPM command) from this process, where a
// model of the secure world answers with the fwsec reference stack.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex, hex } from '../../protocol/bytes.js';

const SOURCE = fileURLToPath(new URL('../native/devdouble.c', import.meta.url));
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Compiles the interposer (once per source version) and returns the .so path. */
export function buildDevDouble(): string {
  const src = readFileSync(SOURCE);
  const out = join(tmpdir(), `fwsec-devdouble-${createHash('sha256').update(src).digest('hex').slice(0, 12)}.so`);
  if (!existsSync(out)) {
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync('gcc', ['-shared', '-fPIC', '-O1', '-Wall', '-Wextra', '-Werror', '-o', tmp, SOURCE, '-ldl', '-lpthread'], { stdio: 'pipe' });
    execFileSync('mv', [tmp, out]);
  }
  return out;
}

export interface WireParam {
  attr: number;
  a: bigint;
  b: bigint;
  c: bigint;
  /** memref contents sent in (INPUT, INOUT) */
  mem?: Uint8Array;
}

export interface TeeAnswer {
  ret: number;
  origin?: number;
  session?: number;
  /** output values / memref sizes, and memref contents for OUTPUT/INOUT */
  params?: (Partial<WireParam> | undefined)[];
  /** tstee: bytes written back to the start of the shared memory named by params[0].a */
  shm?: Uint8Array;
  errno?: number;
}

export interface MmcCmdLine {
  writeFlag: number;
  isAcmd: number;
  opcode: number;
  arg: number;
  flags: number;
  blksz: number;
  blocks: number;
  postsleepMin: number;
  postsleepMax: number;
  data?: Uint8Array;
}

export interface Handlers {
  /** errno to fail open() with, or 0 */
  open?(kind: string, path: string): number;
  teeVersion?(path: string): { implId: number; implCaps: number; genCaps: number };
  teeOpen?(uuid: string, login: number, params: WireParam[]): TeeAnswer | Promise<TeeAnswer>;
  /** `shm`: for a tstee device, the request bytes in the shared memory params[0] names */
  teeInvoke?(session: number, func: number, params: WireParam[], cancelId: number, shm?: Uint8Array): TeeAnswer | Promise<TeeAnswer>;
  teeClose?(session: number): number;
  teeCancel?(cancelId: number, session: number): void;
  /** the response bytes, or 'hang' to never answer */
  tpm?(cmd: Uint8Array): Uint8Array | 'hang' | Promise<Uint8Array | 'hang'>;
  /** data read back per command index, or an errno */
  mmc?(cmds: MmcCmdLine[]): { data: Map<number, Uint8Array> } | { errno: number } | Promise<{ data: Map<number, Uint8Array> } | { errno: number }>;
  /** any other line (e.g. RESET sent by a reset command); answer text */
  other?(line: string): string | Promise<string>;
}

function fields(line: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const tok of line.split(' ').slice(1)) {
    const i = tok.indexOf('=');
    if (i > 0) m.set(tok.slice(0, i), tok.slice(i + 1));
  }
  return m;
}

function wireParams(f: Map<string, string>): WireParam[] {
  const n = Number(f.get('n') ?? 0);
  const out: WireParam[] = [];
  for (let i = 0; i < n; i++) {
    const [attr, a, b, c] = (f.get(`p${i}`) ?? '0,0,0,0').split(',');
    const m = f.get(`m${i}`);
    out.push({ attr: Number(attr), a: BigInt(a!), b: BigInt(b!), c: BigInt(c!), mem: m !== undefined ? fromHex(m) : undefined });
  }
  return out;
}

function answerParams(req: WireParam[], ans: TeeAnswer): string {
  let s = '';
  req.forEach((p, i) => {
    const o = ans.params?.[i] ?? {};
    s += ` p${i}=${o.attr ?? p.attr},${o.a ?? p.a},${o.b ?? p.b},${o.c ?? p.c}`;
    if (o.mem) s += ` m${i}=${hex(o.mem)}`;
  });
  return s;
}

export class DeviceDouble {
  readonly lines: string[] = [];
  private constructor(
    readonly socketPath: string,
    private readonly server: Server,
    readonly so: string,
  ) {}

  static async start(handlers: Handlers, dir: string): Promise<DeviceDouble> {
    const so = buildDevDouble();
    const socketPath = join(dir, `devdouble-${process.pid}-${Math.random().toString(36).slice(2, 8)}.sock`);
    let self: DeviceDouble | undefined;
    const server = createServer((sock: Socket) => {
      let acc = '';
      let chain: Promise<void> = Promise.resolve();
      sock.on('data', (d: Buffer) => {
        acc += d.toString('latin1');
        let i;
        while ((i = acc.indexOf('\n')) >= 0) {
          const line = acc.slice(0, i);
          acc = acc.slice(i + 1);
          self?.lines.push(line.length > 16384 ? `${line.slice(0, 16384)}…` : line);
          chain = chain.then(async () => {
            let reply: string;
            try {
              reply = await answer(handlers, line);
            } catch (e) {
              reply = `errno=5 error=${String((e as Error).message).replace(/\s/g, '_')}`;
            }
            sock.write(`${reply}\n`);
          });
        }
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((res) => server.listen(socketPath, res));
    self = new DeviceDouble(socketPath, server, so);
    return self;
  }

  /** Environment for a child process whose device opens go to this double. */
  env(devices: Record<string, 'tee' | 'tpm' | 'mmc'>): NodeJS.ProcessEnv {
    return {
      ...process.env,
      LD_PRELOAD: this.so,
      FWSEC_DOUBLE_SOCKET: this.socketPath,
      FWSEC_DOUBLE_DEVICES: Object.entries(devices)
        .map(([p, k]) => `${p}=${k}`)
        .join(','),
    };
  }

  linesStarting(prefix: string): string[] {
    return this.lines.filter((l) => l.startsWith(prefix));
  }

  close(): Promise<void> {
    return new Promise((res) => {
      this.server.close(() => {
        rmSync(this.socketPath, { force: true });
        res();
      });
    });
  }
}

async function answer(h: Handlers, line: string): Promise<string> {
  const verb = line.split(' ', 1)[0]!;
  const f = fields(line);
  switch (verb) {
    case 'OPEN': {
      const e = h.open?.(f.get('kind')!, f.get('path')!) ?? 0;
      return e ? `errno=${e}` : 'ok';
    }
    case 'CLOSE':
    case 'TEE_SHM':
    case 'TEE_UNKNOWN_IOCTL':
      return 'ok';
    case 'TEE_VERSION': {
      const v = h.teeVersion?.(f.get('path') ?? '') ?? { implId: 1, implCaps: 1, genCaps: 5 };
      return `ok impl_id=${v.implId} impl_caps=${v.implCaps} gen_caps=${v.genCaps}`;
    }
    case 'TEE_OPEN': {
      const params = wireParams(f);
      const uuidHex = f.get('uuid')!;
      const uuid = `${uuidHex.slice(0, 8)}-${uuidHex.slice(8, 12)}-${uuidHex.slice(12, 16)}-${uuidHex.slice(16, 20)}-${uuidHex.slice(20)}`;
      const a = (await h.teeOpen?.(uuid, Number(f.get('login')), params)) ?? { ret: 0xffff0008, origin: 3 };
      if (a.errno) return `errno=${a.errno}`;
      return `ok ret=${a.ret >>> 0} origin=${a.origin ?? 4} session=${a.session ?? 0}${answerParams(params, a)}`;
    }
    case 'TEE_INVOKE': {
      const params = wireParams(f);
      const s = f.get('s');
      const a = (await h.teeInvoke?.(Number(f.get('session')), Number(f.get('func')), params, Number(f.get('cancel')), s !== undefined ? fromHex(s) : undefined)) ?? { ret: 0xffff000a, origin: 3 };
      if (a.errno) return `errno=${a.errno}`;
      return `ok ret=${a.ret >>> 0} origin=${a.origin ?? 4}${answerParams(params, a)}${a.shm ? ` s=${hex(a.shm)}` : ''}`;
    }
    case 'TEE_CLOSE': {
      const e = h.teeClose?.(Number(f.get('session'))) ?? 0;
      return e ? `errno=${e}` : 'ok';
    }
    case 'TEE_CANCEL':
      h.teeCancel?.(Number(f.get('cancel')), Number(f.get('session')));
      return 'ok';
    case 'TPM': {
      const r = await h.tpm?.(fromHex(f.get('cmd') ?? ''));
      if (!r || r === 'hang') return 'hang';
      return `ok rsp=${hex(r)}`;
    }
    case 'MMC_MULTI':
    case 'MMC_CMD': {
      const n = Number(f.get('n'));
      const cmds: MmcCmdLine[] = [];
      for (let i = 0; i < n; i++) {
        const v = (f.get(`c${i}`) ?? '').split(',').map(Number);
        const d = f.get(`d${i}`);
        cmds.push({
          writeFlag: v[0]!,
          isAcmd: v[1]!,
          opcode: v[2]!,
          arg: v[3]!,
          flags: v[4]!,
          blksz: v[5]!,
          blocks: v[6]!,
          postsleepMin: v[7]!,
          postsleepMax: v[8]!,
          data: d !== undefined ? fromHex(d) : undefined,
        });
      }
      const r = (await h.mmc?.(cmds)) ?? { errno: 25 };
      if ('errno' in r) return `errno=${r.errno}`;
      let s = 'ok';
      for (const [i, d] of r.data) s += ` d${i}=${hex(d)}`;
      return s;
    }
    default:
      return (await h.other?.(line)) ?? 'errno=22';
  }
}

/** Runs a TypeScript file of the repository in a child node with `env`; resolves with its output and exit code. */
export function runChild(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

export interface ChildResult {
  status?: number;
  body?: string;
  error?: string;
  message?: string;
}

/**
 * Runs test/helpers/tee-child.ts with the double preloaded: opens `uri`, makes
 * `calls`, returns one result per call (throws if the child did not finish).
 */
export async function deviceChild(dbl: DeviceDouble, uri: string, calls: object[], devices: Record<string, 'tee' | 'tpm' | 'mmc'>): Promise<ChildResult[]> {
  const r = await runChild([join(REPO, 'bin/run-ts.js'), 'test/helpers/tee-child.ts', JSON.stringify({ uri, calls })], dbl.env(devices));
  const lines = r.out.split('\n').filter((l) => l.startsWith('{'));
  if (lines.at(-1) !== '{"closed":true}') throw new Error(`the device child did not finish:\n${r.out}`);
  return lines.slice(0, -1).map((l) => JSON.parse(l) as ChildResult);
}
