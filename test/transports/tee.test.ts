// tee:// end to end through the real koffi ioctl/mmap path, in a child
// process whose open/ioctl/close go to the LD_PRELOAD double
// (test/native/devdouble.c), which interprets them with the kernel's uapi
// header and asks this process, playing the secure world, to answer.
//
// Covered: the ioctl numbers, argument structs, parameter attributes, UUID
// octets, shared memory (SHM_ALLOC returns an fd; the transport mmaps it and
// the double reads and writes the same pages), session handling, the TEEC
// result / origin handling, cancel on timeout, and the three bindings.
// Not covered (no /dev/tee0 on this machine): a real TEE driver, real OP-TEE
// or Trusted Services behind it, SHM_REGISTER, the supplicant.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hex } from '../../protocol/bytes.js';
import { ReferenceStack } from '../../reference/stack.js';
import { SERVICES } from '../../protocol/services.js';
import { TEEC, TEE_UUID } from '../../protocol/tee.js';
import { DeviceDouble, REPO, deviceChild, runChild } from '../helpers/devdouble.js';
import { opteeWorld, tsWorld } from '../helpers/tee-worlds.js';
import { run, verdicts } from '../helpers/run.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fwsec-tee-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const child = (dbl: DeviceDouble, uri: string, calls: object[], devices: Record<string, 'tee' | 'tpm' | 'mmc'> = { '/dev/tee0': 'tee' }) => deviceChild(dbl, uri, calls, devices);

const FWSEC = join(REPO, 'bin/fwsec.js');

/**
 * Runs `fwsec run --suite SUITE` in a child process whose /dev/tee0 is the double, with a profile
 * mapping `services` to tee:///dev/tee0 and a reset command that reboots the double's reference
 * stack; returns the child's output and exit code, and the checks whose verdict differs in-process.
 */
async function suiteOverTee(dbl: DeviceDouble, suite: string, services: string[]): Promise<{ code: number | null; out: string; total: number; inprocTotal: number; differ: string[] }> {
  const reset = `${process.execPath} -e "const s=require('net').connect(process.argv[1]);s.end('RESET\\\\n');s.on('data',()=>s.destroy())" ${dbl.socketPath}`;
  const reference = JSON.parse(readFileSync(join(REPO, 'profiles/reference.json'), 'utf8')) as { capabilities: Record<string, unknown> };
  const profile = join(dir, `${suite}-board.json`);
  writeFileSync(
    profile,
    JSON.stringify({
      name: `${suite}-over-tee`,
      kind: 'hardware',
      services: Object.fromEntries(services.map((x) => [x, 'tee:///dev/tee0'])),
      capabilities: reference.capabilities,
      allowDestructive: true,
      reset: { method: 'command', command: reset, readyTimeoutMs: 5000 },
    }),
  );
  const out = join(dir, `results-${suite}`);
  const r = await runChild([FWSEC, 'run', '--profile', profile, '--suite', suite, '--allow-destructive', '--out', out], dbl.env({ '/dev/tee0': 'tee' }));
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { results: { id: string; verdict: string; message?: string }[] };
  const inproc = verdicts(await run({ suites: [suite] }));
  const differ = report.results.filter((x) => inproc.get(x.id) !== x.verdict).map((x) => `${x.id}: ${x.verdict}: ${x.message}`);
  return { code: r.code, out: r.out, total: report.results.length, inprocTotal: inproc.size, differ };
}

describe('Trusted Services (tstee) binding: the psa-storage suite over tee:///dev/tee0', () => {
  it('gives the in-process verdicts through koffi, the kernel ABI and the reference, but for the 4 checks with 32-bit opcodes', async () => {
    const stack = await ReferenceStack.boot();
    const world = tsWorld(stack);
    const dbl = await DeviceDouble.start(world, dir);
    try {
      const { differ, total, inprocTotal, out } = await suiteOverTee(dbl, 'psa-storage', ['its', 'ps']);
      // Trusted Services opcodes are 16 bits (FF-A w3[15:0], libts uint16_t opcode; tstee takes
      // lower_16_bits(func)): the transport refuses wider ones instead of truncating them, so the four
      // checks that send 32-bit opcodes cannot run over this path: UNSUPPORTED, saying why
      expect(differ).toEqual([
        'psa-storage.its-wire.unknown-opcode: UNSUPPORTED: the transport cannot carry what this check sends: tee: Trusted Services opcodes are 16-bit, got 0xffffffff',
        'psa-storage.ps-wire.unknown-opcode: UNSUPPORTED: the transport cannot carry what this check sends: tee: Trusted Services opcodes are 16-bit, got 0xffffffff',
        'psa-storage.its-wire.fuzz: UNSUPPORTED: the transport cannot carry what this check sends: tee: Trusted Services opcodes are 16-bit, got 0xe603d2d8',
        'psa-storage.ps-wire.fuzz: UNSUPPORTED: the transport cannot carry what this check sends: tee: Trusted Services opcodes are 16-bit, got 0xd84ae655',
      ]);
      expect(total).toBe(inprocTotal);
      expect(out).toMatch(/PASS 131, UNSUPPORTED 4/);
      // what crossed the boundary: libts-shaped sessions and invokes, real shared memory
      expect(world.invokes).toBeGreaterThan(200);
      expect(dbl.linesStarting('TEE_OPEN uuid=dc1eef48b17a4ccfac8bdfcff7711b14 login=0 cancel=0 n=0').length).toBeGreaterThanOrEqual(1);
      expect(dbl.linesStarting('TEE_OPEN uuid=751bf801').length).toBeGreaterThanOrEqual(1);
      expect(dbl.linesStarting('TEE_SHM id=').some((l) => /size=65536$/.test(l))).toBe(true);
      expect(dbl.lines.some((l) => /^TEE_INVOKE func=256 session=\d+ cancel=\d+ n=1 p0=3,\d+,\d+,0 s=/.test(l))).toBe(true);
      expect(dbl.linesStarting('TEE_UNKNOWN_IOCTL')).toEqual([]);
      expect(stack.internalErrors).toBe(0);
    } finally {
      await dbl.close();
    }
  });
});

describe('PTA_STMM binding: the smm-variable suite over tee:///dev/tee0 against the reference', () => {
  it('gives the in-process verdicts, the MM buffer in memref 0 and the MM return code in value 1', async () => {
    const stack = await ReferenceStack.boot();
    let invokes = 0;
    const dbl = await DeviceDouble.start(
      {
        teeVersion: () => ({ implId: 1, implCaps: 1, genCaps: 5 }),
        teeOpen: (uuid) => (uuid === TEE_UUID.PTA_STMM ? { ret: 0, session: 7 } : { ret: TEEC.ERROR_ITEM_NOT_FOUND, origin: 3 }),
        // PTA_STMM: [MEMREF_INOUT buffer, VALUE_OUTPUT], the buffer to StMM (the reference service), its
        // return register to value[1].a, the buffer back
        teeInvoke: async (session, func, params) => {
          if (session !== 7 || func !== 0 || params.map((p) => p.attr).join() !== '7,2,0,0') return { ret: TEEC.ERROR_BAD_PARAMETERS, origin: 4 };
          invokes += 1;
          const r = (await stack.handle(SERVICES['smm-variable'], 0, params[0]!.mem!))!;
          return { ret: 0, params: [{ mem: r.body, b: BigInt(r.body.length) }, { a: BigInt(r.status >>> 0) }] };
        },
        teeClose: () => 0,
        other: async (line) => {
          if (line !== 'RESET') return 'errno=22';
          await stack.reboot();
          return 'ok';
        },
      },
      dir,
    );
    try {
      const r = await suiteOverTee(dbl, 'smm-variable', ['smm-variable']);
      const { differ } = r;
      expect(differ).toEqual([]);
      expect(r.total).toBe(r.inprocTotal);
      expect(r.code, r.out.slice(-2000)).toBe(0);
      expect(invokes).toBeGreaterThan(300);
      expect(dbl.linesStarting('TEE_OPEN uuid=ed32d53399e642099cc02d72cdd998a7 login=0 cancel=0 n=4').length).toBe(1);
      expect(stack.internalErrors).toBe(0);
    } finally {
      await dbl.close();
    }
  });
});

describe('OP-TEE bindings: PTA_STMM and the fTPM TA', () => {
  it('carry the MM buffer and TPM commands with the parameters OP-TEE and Linux use', async () => {
    const world = opteeWorld();
    const dbl = await DeviceDouble.start(world, dir);
    try {
      const mm = new Uint8Array(64).fill(0x11);
      const getRandom = '80010000000c0000017b0002';
      const res = await child(dbl, 'tee:///dev/tee0', [
        { service: 'smm-variable', opcode: 0, body: hex(mm) },
        { service: 'tpm2', opcode: 0, body: getRandom },
        { service: 'tpm2', opcode: 0, body: '80010000000a00000999' },
        { service: 'smm-variable', opcode: 0, body: hex(new Uint8Array(20000)) },
        { service: 'its', opcode: 0x101, body: '00' },
        { service: 'smm-variable', opcode: 5, body: '00' },
      ]);
      const expectedMm = mm.slice();
      expectedMm[32] = 0x0e;
      expect(res[0]).toEqual({ status: -2, body: hex(expectedMm) }); // value[1].a as a signed 32-bit MM return code
      expect(res[1]).toEqual({ status: 0, body: '80010000000e000000000002a5a5' });
      expect(res[2]).toEqual({ status: 0, body: '80010000000a00000143' });
      expect(res[3]!.error).toBe('remote');
      expect(res[3]!.message).toMatch(/TEEC_ERROR_EXCESS_DATA.*holds 16384 bytes/);
      expect(res[4]!.error).toBe('unsupported');
      expect(res[4]!.message).toMatch(/needs a Trusted Services \(tstee\) device, but \/dev\/tee0 is OP-TEE/);
      expect(res[5]!.error).toBe('remote'); // PTA_STMM has no command 5: the PTA's answer is reported
      expect(res[5]!.message).toMatch(/PTA_STMM command 5: TEEC_ERROR_BAD_PARAMETERS from TRUSTED_APP/);
      // one session per TA, reused
      expect(dbl.linesStarting('TEE_OPEN uuid=ed32d53399e642099cc02d72cdd998a7 login=0 cancel=0 n=4 p0=0,0,0,0').length).toBe(1);
      expect(dbl.linesStarting('TEE_OPEN uuid=bc50d971d4c942c482cb343fb7f37896').length).toBe(1);
      expect(dbl.linesStarting('TEE_CLOSE session=').length).toBe(2);
    } finally {
      await dbl.close();
    }
  });

  it('a TEE call that overruns its deadline is cancelled with its cancel_id; the next call waits for it and succeeds', async () => {
    const world = opteeWorld({ ftpmDelayMs: 1200 });
    const dbl = await DeviceDouble.start(world, dir);
    try {
      const res = await child(dbl, 'tee:///dev/tee0', [
        { service: 'tpm2', opcode: 0, body: '80010000000c0000017b0002', timeoutMs: 300 },
        { service: 'tpm2', opcode: 0, body: '80010000000c0000017b0002', timeoutMs: 5000 },
      ]);
      expect(res[0]!.error).toBe('timeout');
      expect(res[1]).toEqual({ status: 0, body: '80010000000e000000000002a5a5' });
      const invokes = dbl.linesStarting('TEE_INVOKE').map((l) => Number(/cancel=(\d+)/.exec(l)![1]));
      expect(world.cancels).toEqual([invokes[0]]);
    } finally {
      await dbl.close();
    }
  });

  it('explains a TA that is busy or missing, and a device that is not there', async () => {
    const dbl = await DeviceDouble.start({ ...opteeWorld(), open: (_k, path) => (path === '/dev/tee1' ? 2 : 0) }, dir);
    try {
      const busy = await child(dbl, 'tee:///dev/tee0?uuid.tpm2=11111111-2222-3333-4444-555555555555', [{ service: 'tpm2', opcode: 0, body: '8001' }]);
      expect(busy[0]!.error).toBe('connect');
      expect(busy[0]!.message).toMatch(/TEEC_ERROR_BUSY.*tpm_ftpm_tee.*tpm:\/\/\/dev\/tpmrm0/);
      const missing = await child(dbl, 'tee:///dev/tee0?uuid.smm-variable=99999999-2222-3333-4444-555555555555', [{ service: 'smm-variable', opcode: 0, body: '00' }]);
      expect(missing[0]!.message).toMatch(/TEEC_ERROR_ITEM_NOT_FOUND from TEE \(no such TA/);
      const absent = await child(dbl, 'tee:///dev/tee1', [{ service: 'tpm2', opcode: 0, body: '8001' }], { '/dev/tee1': 'tee' });
      expect(absent[0]).toMatchObject({ error: 'connect' });
      expect(absent[0]!.message).toMatch(/cannot open \/dev\/tee1: does not exist/);
    } finally {
      await dbl.close();
    }
  });
});
