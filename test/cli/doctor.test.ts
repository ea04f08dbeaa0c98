// fwsec doctor on the built-in profiles, on an unreachable target and on a
// reachable one that fails, through the command itself.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fromHex } from '../../protocol/bytes.js';
import { PROFILES_DIR } from '../../suites/harness/profile.js';
import { DeviceDouble, REPO, runChild } from '../helpers/devdouble.js';
import { opteeWorld, tsWorld } from '../helpers/tee-worlds.js';
import { cmdDoctor, classify, type DoctorReport } from '../../cli/doctor.js';
import { ReferenceStack } from '../../reference/stack.js';
import { listenTcp } from '../../reference/server/tcp.js';
import { SERVICES } from '../../protocol/services.js';
import { TransportError } from '../../transports/index.js';

async function doctor(args: string[]): Promise<{ code: number; report: DoctorReport; text: string }> {
  const out: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  try {
    const code = await cmdDoctor([...args, '--json']);
    const report = JSON.parse(out.join('\n')) as DoctorReport;
    out.length = 0;
    await cmdDoctor(args);
    return { code, report, text: out.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('fwsec doctor', () => {
  it('built-in profile reference: the agent, its services, and what each answers', async () => {
    const { code, report, text } = await doctor(['--profile', 'reference']);
    expect(code).toBe(0);
    expect(report.health).toBe('ok');
    expect(report.transports[0]!.hello).toMatchObject({ agent: 'fwsec reference', protocolVersion: 1, services: ['control', 'its', 'ps', 'crypto', 'smm-variable', 'tpm2', 'rpmb'] });
    expect(report.services.map((s) => [s.service, s.health])).toEqual([
      ['its', 'ok'],
      ['ps', 'ok'],
      ['crypto', 'ok'],
      ['smm-variable', 'ok'],
      ['tpm2', 'ok'],
      ['rpmb', 'ok'],
    ]);
    expect(report.services[2]!.detail).toBe('answered PSA_SUCCESS (0)');
    expect(report.services[3]!.detail).toMatch(/^ARM_SVC_SPM_RET_SUCCESS \(0\), EFI_SUCCESS.*, variable payload size [1-9]\d*$/);
    expect(report.services[0]!.detail).toBe('answered PSA_ERROR_INVALID_ARGUMENT (-135)');
    expect(report.services[1]!.info).toMatchObject({ supportFlags: 1 });
    expect(text).toMatch(/result: OK: every service answers/);
  });

  it('built-in profile reference-tcp: launches fwsec serve and reads its HELLO over TCP', async () => {
    const { code, report } = await doctor(['--profile', 'reference-tcp']);
    expect(code).toBe(0);
    expect(report.transports[0]!.uri).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(report.transports[0]!.hello!.agent).toBe('fwsec serve (reference)');
  });

  it('nothing listening: UNREACHABLE, exit 2', async () => {
    const { code, report, text } = await doctor(['--target', 'tcp://127.0.0.1:1', '--timeout', '2000']);
    expect(code).toBe(2);
    expect(report.health).toBe('unreachable');
    expect(report.services.every((s) => s.health === 'unreachable')).toBe(true);
    expect(text).toMatch(/DOWN {2}tcp:\/\/127\.0\.0\.1:1/);
  });

  it('an agent that answers HELLO but fails a service: FAIL, exit 1, told apart from unreachable', async () => {
    const stack = await ReferenceStack.boot();
    // a board agent whose PS backend is broken: every PS request ends in an envelope SERVICE_FAILURE frame
    const broken = {
      handle: async (service: number, opcode: number, body: Uint8Array) => {
        if (service === SERVICES.ps) throw new Error('flash controller timeout');
        return stack.handle(service, opcode, body);
      },
    };
    const l = await listenTcp(broken, '127.0.0.1', 0, { maxBody: 65536 });
    try {
      const { code, report } = await doctor(['--target', l.uri]);
      expect(code).toBe(1);
      expect(report.health).toBe('failing');
      const ps = report.services.find((s) => s.service === 'ps')!;
      expect(ps.health).toBe('failing');
      expect(ps.detail).toMatch(/SERVICE_FAILURE: flash controller timeout/);
      expect(report.services.find((s) => s.service === 'its')!.health).toBe('ok');
    } finally {
      await l.close();
    }
  });

  it('classifies transport failures', () => {
    expect(classify(new TransportError('timeout', 'x'))).toBe('unreachable');
    expect(classify(new TransportError('connect', 'x'))).toBe('unreachable');
    expect(classify(new TransportError('remote', 'x'))).toBe('failing');
    expect(classify(new TransportError('protocol', 'x'))).toBe('failing');
  });
});

describe('fwsec doctor on the example Linux board profile (device transports through the syscall double)', () => {
  it('reports each device service, and a missing Trusted Services crypto SP as FAIL, not DOWN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwsec-doctor-'));
    const stack = await ReferenceStack.boot();
    const ts = tsWorld(stack);
    const op = opteeWorld();
    // /dev/tee0 is OP-TEE (StMM, fTPM), /dev/tee1 the tstee device; sessions routed by UUID
    const sessions = new Map<number, { world: typeof ts | typeof op; inner: number }>();
    let next = 100;
    const dbl = await DeviceDouble.start(
      {
        teeVersion: (path) => (path === '/dev/tee1' ? ts.teeVersion!('') : op.teeVersion!('')),
        teeOpen: async (uuid, login, params) => {
          const isTs = uuid.startsWith('dc1eef48') || uuid.startsWith('751bf801') || uuid.startsWith('d9df52d5');
          const world = isTs ? ts : op;
          const a = await world.teeOpen!(uuid, login, params);
          if (a.session === undefined || a.errno || a.ret !== 0) return a;
          sessions.set(next, { world, inner: a.session });
          return { ...a, session: next++ };
        },
        teeInvoke: (session, func, params, cancel, shm) => {
          const s = sessions.get(session)!;
          return s.world.teeInvoke!(s.inner, func, params, cancel, shm);
        },
        teeClose: () => 0,
        // TPM2_GetCapability(TPM_PT_FIXED): family "2.0", revision 1.59, manufacturer "IBM ", firmware 20191023
        tpm: () =>
          fromHex(
            '80010000003b00000000' + '00' + '00000006' + '00000005' +
              '00000100' + '322e3000' + '00000102' + '0000009f' + '00000105' + '49424d20' + '0000010b' + '20191023' + '00000106' + '53572020',
          ),
        mmc: (cmds) => {
          const ext = new Uint8Array(512);
          ext[168] = 2;
          ext[222] = 1;
          return { data: new Map(cmds.map((c, i) => [i, c.opcode === 8 ? ext : new Uint8Array(512 * c.blocks)])) };
        },
      },
      dir,
    );
    try {
      const cid = join(dir, 'cid');
      writeFileSync(cid, 'fe014e4d4d4330344742c8f6552a6115');
      const profile = JSON.parse(readFileSync(join(PROFILES_DIR, 'examples/linux-board-tee.json'), 'utf8')) as { services: Record<string, string>; expectations?: string };
      profile.services.rpmb = `mmc:///dev/mmcblk0rpmb?cid=${cid}`;
      delete profile.expectations;
      writeFileSync(join(dir, 'board.json'), JSON.stringify(profile));
      const r = await runChild(
        [join(REPO, 'bin/fwsec.js'), 'doctor', '--profile', join(dir, 'board.json'), '--json'],
        dbl.env({ '/dev/tee0': 'tee', '/dev/tee1': 'tee', '/dev/tpmrm0': 'tpm', '/dev/mmcblk0rpmb': 'mmc', '/dev/mmcblk0': 'mmc' }),
      );
      const report = JSON.parse(r.out.slice(r.out.indexOf('{'))) as DoctorReport;
      const by = new Map(report.services.map((x) => [x.service, x]));
      expect([...by].map(([k, v]) => [k, v.health])).toEqual([
        ['its', 'ok'],
        ['ps', 'ok'],
        ['crypto', 'failing'],
        ['smm-variable', 'ok'],
        ['tpm2', 'ok'],
        ['rpmb', 'ok'],
      ]);
      expect(by.get('crypto')!.detail).toMatch(/open session to d9df52d5-16a2-4bb2-9aa4-d26d3b84e8c0: ioctl failed: ENODEV/);
      expect(by.get('tpm2')!.info).toMatchObject({ family: '2.0', revision: '1.59', manufacturer: 'IBM', firmware: '8217.4131' });
      expect(by.get('rpmb')!.detail).toBe('CID fe014e4d4d4330344742c8f6552a6115, RPMB 256 KiB, reliable write 1 sector(s)');
      expect(by.get('smm-variable')!.detail).toMatch(/^ARM_SVC_SPM_RET_INVALID_PARAMS \(-2\)/);
      expect(by.get('ps')!.detail).toMatch(/PSA_ERROR_INVALID_ARGUMENT.*get_support 0x1/);
      expect(report.transports.every((t) => /no fwsec control service/.test(t.detail))).toBe(true);
      expect(report.health).toBe('failing');
      expect(r.code).toBe(1);
    } finally {
      await dbl.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
