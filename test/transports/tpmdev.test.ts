// tpm:///dev/tpmrm0 in a child process whose open() of the device is
// answered by the LD_PRELOAD double with a SOCK_SEQPACKET socket pair: the
// message boundaries of the TPM character device (one command per write,
// one response per read), O_NONBLOCK, poll readiness. The far end is a
// byte-level TPM double here. Not covered: the kernel TPM driver and
// resource manager themselves (no /dev/tpmrm0 on this machine).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hex, fromHex } from '../../protocol/bytes.js';
import { openTransport, TransportError } from '../../transports/index.js';
import { DeviceDouble, REPO, deviceChild, runChild } from '../helpers/devdouble.js';
import { ReferenceStack } from '../../reference/stack.js';
import { SERVICES } from '../../protocol/services.js';
import { Tpm2Op } from '../../protocol/tpm2/platform.js';
import { run, verdicts } from '../helpers/run.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fwsec-tpm-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const child = (dbl: DeviceDouble, uri: string, calls: object[], devices: Record<string, 'tee' | 'tpm' | 'mmc'> = { '/dev/tpmrm0': 'tpm' }) => deviceChild(dbl, uri, calls, devices);

const GET_RANDOM_8 = '80010000000c0000017b0008';



describe('tpm:// over the character device double', () => {
  it('one command per write, one response per read, whole; hangs time out and the device is reopened', async () => {
    const seen: string[] = [];
    let hang = 0;
    const dbl = await DeviceDouble.start(
      {
        tpm: (cmd) => {
          seen.push(hex(cmd));
          const cc = cmd.length >= 10 ? ((cmd[6]! << 24) | (cmd[7]! << 16) | (cmd[8]! << 8) | cmd[9]!) >>> 0 : 0;
          if (cc === 0x145 && hang++ === 0) return 'hang'; // Shutdown: never answered the first time
          if (cc === 0x17b) return fromHex('800100000012000000000008' + '0102030405060708'.slice(0, 12));
          if (cmd.length < 10) return fromHex('80010000000a00000142'); // TPM_RC_COMMAND_SIZE, as a TPM answers
          return fromHex('80010000000a00000143');
        },
      },
      dir,
    );
    try {
      const res = await child(dbl, 'tpm:///dev/tpmrm0', [
        { service: 'tpm2', opcode: 0, body: GET_RANDOM_8 },
        { service: 'tpm2', opcode: 0, body: '80010000000a00000999' },
        { service: 'tpm2', opcode: 0, body: '8001000000' },
        { service: 'tpm2', opcode: 0, body: '80010000000c000001450000', timeoutMs: 300 },
        { service: 'tpm2', opcode: 0, body: GET_RANDOM_8 },
        { service: 'its', opcode: 0x101, body: '00' },
        { service: 'tpm2', opcode: 0, body: hex(new Uint8Array(4097)) },
        { service: 'tpm2', opcode: 1, body: '' },
      ]);
      expect(res[0]).toEqual({ status: 0, body: '800100000012000000000008010203040506' });
      expect(res[1]).toEqual({ status: 0, body: '80010000000a00000143' });
      expect(res[2]).toEqual({ status: 0, body: '80010000000a00000142' });
      expect(res[3]!.error).toBe('timeout');
      expect(res[4]).toEqual({ status: 0, body: '800100000012000000000008010203040506' });
      expect(res[5]!.error).toBe('unsupported');
      expect(res[6]!.error).toBe('unsupported');
      // _TPM_Init (a platform signal) cannot be sent through the character device
      expect(res[7]!.error).toBe('unsupported');
      expect(res[7]!.message).toMatch(/carries tpm2 opcode 0 \(SUBMIT\) only, not opcode 0x1/);
      // each command reached the device whole and alone
      expect(seen).toEqual([GET_RANDOM_8, '80010000000a00000999', '8001000000', '80010000000c000001450000', GET_RANDOM_8]);
      // a fresh descriptor after the timeout
      expect(dbl.linesStarting('OPEN kind=tpm path=/dev/tpmrm0').length).toBe(2);
    } finally {
      await dbl.close();
    }
  });

  it('a response whose header size disagrees with what was read is garbage (ERROR), not an answer', async () => {
    const dbl = await DeviceDouble.start({ tpm: () => fromHex('80010000002000000000') }, dir);
    try {
      const res = await child(dbl, 'tpm:///dev/tpmrm0', [{ service: 'tpm2', opcode: 0, body: GET_RANDOM_8 }]);
      expect(res[0]!.error).toBe('protocol');
      expect(res[0]!.message).toMatch(/header says 32 bytes, the device returned 10/);
    } finally {
      await dbl.close();
    }
  });

  it('explains a missing, forbidden or busy device', async () => {
    const dbl = await DeviceDouble.start({ open: (_k, path) => (path === '/dev/tpm0' ? 16 : path === '/dev/tpmrm1' ? 13 : 0), tpm: () => fromHex('80010000000a00000000') }, dir);
    try {
      const busy = await child(dbl, 'tpm:///dev/tpm0', [{ service: 'tpm2', opcode: 0, body: GET_RANDOM_8 }], { '/dev/tpm0': 'tpm' });
      expect(busy[0]!.message).toMatch(/\/dev\/tpm0 is busy: another process \(tpm2-abrmd\?\) holds it/);
      const denied = await child(dbl, 'tpm:///dev/tpmrm1', [{ service: 'tpm2', opcode: 0, body: GET_RANDOM_8 }], { '/dev/tpmrm1': 'tpm' });
      expect(denied[0]!.message).toMatch(/permission denied \(is this user in the tss group\?\)/);
    } finally {
      await dbl.close();
    }
    const t = await openTransport(`tpm://${dir}/tpmrm9`, { callTimeoutMs: 1000 });
    const err = await t.channel('tpm2').call(0, fromHex(GET_RANDOM_8)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toMatch(/tpmrm9 does not exist/);
    await expect(openTransport('tpm://dev/tpmrm0', { callTimeoutMs: 1 })).rejects.toThrow(/three slashes/);
  });
});

describe('the tpm2 suite over tpm:///dev/tpmrm0 against the reference TPM', () => {
  it('gives the in-process verdicts, except UNSUPPORTED (with the reason) where a check needs a platform signal the device cannot carry', async () => {
    const stack = await ReferenceStack.boot();
    // firmware has started a TPM before Linux binds /dev/tpmrm0: _TPM_Init and TPM2_Startup(CLEAR)
    await stack.handle(SERVICES.tpm2, Tpm2Op.INIT, new Uint8Array(0));
    expect(hex((await stack.handle(SERVICES.tpm2, Tpm2Op.SUBMIT, fromHex('80010000000c000001440000')))!.body)).toBe('80010000000a00000000');
    let commands = 0;
    const dbl = await DeviceDouble.start(
      {
        tpm: async (cmd) => {
          commands++;
          return (await stack.handle(SERVICES.tpm2, Tpm2Op.SUBMIT, cmd))!.body;
        },
      },
      dir,
    );
    try {
      // a board profile: the platform signals are not reachable from Linux, so their capabilities are
      // left undeclared (false); the platform hierarchy of this TPM is usable
      const profile = join(dir, 'tpmrm0.json');
      writeFileSync(profile, JSON.stringify({ name: 'tpmrm0', kind: 'hardware', services: { tpm2: 'tpm:///dev/tpmrm0' }, capabilities: { 'tpm2.platform-auth': true }, allowDestructive: true }));
      const out = join(dir, 'results-tpm2');
      const r = await runChild([join(REPO, 'bin/fwsec.js'), 'run', '--profile', profile, '--suite', 'tpm2', '--allow-destructive', '--out', out], dbl.env({ '/dev/tpmrm0': 'tpm' }));
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { results: { id: string; verdict: string; message?: string }[] };
      const inproc = verdicts(await run({ suites: ['tpm2'] }));
      expect(report.results.length).toBe(inproc.size);
      const differ = report.results.filter((x) => inproc.get(x.id) !== x.verdict);
      // nothing FAILs or ERRORs: every difference is a check that needs a platform signal
      expect(differ.filter((x) => x.verdict !== 'UNSUPPORTED').map((x) => `${x.id}: ${x.verdict}: ${x.message}`)).toEqual([]);
      const why = new Map<string, number>();
      for (const x of differ) {
        const m = /cannot carry .* \((tpm2\.[a-z-]+) undeclared\)|over the device's 4096-byte buffer/.exec(x.message ?? '');
        expect(m, `${x.id}: ${x.message}`).not.toBeNull();
        why.set(m![1] ?? m![0], (why.get(m![1] ?? m![0]) ?? 0) + 1);
      }
      console.log(`UNSUPPORTED over tpm:// by reason: ${JSON.stringify(Object.fromEntries(why))}`);
      expect(report.results.filter((x) => x.verdict === 'PASS').length).toBeGreaterThan(inproc.size / 2);
      expect(r.code).toBe(0);
      expect(commands).toBeGreaterThan(1000);
      expect(dbl.linesStarting('OPEN kind=tpm path=/dev/tpmrm0').length).toBeGreaterThanOrEqual(1);
      console.log(`tpm2 over tpm:///dev/tpmrm0: ${report.results.length - differ.length} checks as in-process, ${differ.length} UNSUPPORTED; ${commands} commands`);
    } finally {
      await dbl.close();
    }
  });
});
