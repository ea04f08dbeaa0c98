// swtpm's socket protocol byte for byte, on the real swtpm 0.7.1 and on
// `fwsec serve --swtpm` side by side (same requests, same answers), and the
// swtpm:// and mssim:// client transports carrying platform signals
// (locality, _TPM_Init, DRTM, tpmEstablished) to fwsec serve --swtpm/--mssim.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../protocol/bytes.js';
import { PtmCap } from '../../protocol/tpm2/swtpm.js';
import { FWSEC_BIN, launcherFor, spawnReady, waitExit, type Launched, type Spawned } from '../../suites/harness/launchers.js';
import { loadProfile } from '../../suites/harness/profile.js';
import { notPassing, profileFor, run } from '../helpers/run.js';

/** Sends `req` on a fresh connection and collects `len(answer)` bytes (or what came within 3 s). */
function exchange(port: number, req: Uint8Array, want: (got: Uint8Array) => boolean): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(new Uint8Array(got));
    };
    const timer = setTimeout(done, 3000);
    s.on('connect', () => s.write(req));
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (want(new Uint8Array(got))) done();
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('close', done);
  });
}
const tpmResponse = (b: Uint8Array) => b.length >= 6 && b.length >= new DataView(b.buffer, b.byteOffset).getUint32(2);
const atLeast = (n: number) => (b: Uint8Array) => b.length >= n;

interface Target {
  name: string;
  port: number;
}

const targets: Target[] = [];
let swtpm: Launched;
let serve: Spawned;

beforeAll(async () => {
  swtpm = await launcherFor('swtpm')(loadProfile('swtpm'), () => {});
  serve = spawnReady(process.execPath, [FWSEC_BIN, 'serve', '--swtpm', 'tcp://127.0.0.1:0', '--mssim', 'tcp://127.0.0.1:0'], /listening on mssim:\/\/127\.0\.0\.1:(\d+)/, 30_000);
  await serve.ready;
  const swtpmPort = Number(/swtpm:\/\/127\.0\.0\.1:(\d+)/.exec(serve.output())![1]);
  targets.push({ name: 'swtpm 0.7.1', port: Number(swtpm.vars.port) }, { name: 'fwsec serve --swtpm', port: swtpmPort });
});

afterAll(async () => {
  await swtpm?.stop();
  if (serve) {
    serve.child.kill('SIGTERM');
    await waitExit(serve.child, 5000);
  }
});

describe("swtpm's socket protocol: the real swtpm and fwsec serve --swtpm answer alike", () => {
  it('data channel: raw commands, and the mssim-prefixed form', async () => {
    for (const t of targets) {
      // the swtpm profile starts swtpm with not-need-init: start the TPM (or find it started)
      const st = await exchange(t.port, fromHex('80010000000c000001440000'), tpmResponse);
      expect(['80010000000a00000000', '80010000000a00000100'], t.name).toContain(hex(st));
      const r = await exchange(t.port, fromHex('80010000000c0000017b0010'), tpmResponse);
      expect(hex(r.subarray(0, 12)), t.name).toBe('80010000001c000000000010');
      expect(r.length, t.name).toBe(28);
      // TPM_SEND_COMMAND {u32 8, u8 locality, u32 len} + command -> {u32 len} response {u32 0}
      const m = await exchange(t.port, fromHex('00000008' + '00' + '0000000c' + '80010000000c0000017b0008'), atLeast(4 + 20 + 4));
      expect(hex(m.subarray(0, 14)), t.name).toBe('0000001480010000001400000000');
      expect(hex(m.subarray(m.length - 4)), t.name).toBe('00000000');
      // a bad command tag is the TPM's answer, not the transport's
      expect(hex(await exchange(t.port, fromHex('00c40000000c0000017b0010'), tpmResponse)), t.name).toBe('80010000000a0000001e');
    }
  });

  it('control channel: capabilities, locality, tpmEstablished, buffer size, info, unknown codes', async () => {
    for (const t of targets) {
      const ctrl = t.port + 1;
      const caps = await exchange(ctrl, fromHex('00000001'), atLeast(8));
      expect(caps.length, t.name).toBe(8);
      const bits = Number(new DataView(caps.buffer, caps.byteOffset).getBigUint64(0));
      for (const c of [PtmCap.INIT, PtmCap.SET_LOCALITY, PtmCap.HASHING, PtmCap.GET_TPMESTABLISHED, PtmCap.RESET_TPMESTABLISHED, PtmCap.STOP, PtmCap.SET_BUFFERSIZE, PtmCap.GET_INFO]) {
        expect(bits & c, `${t.name}: capability bit 0x${c.toString(16)}`).toBe(c);
      }
      expect(hex(await exchange(ctrl, fromHex('0000000505'), atLeast(4))), `${t.name}: SET_LOCALITY 5`).toBe('0000003d');
      expect(hex(await exchange(ctrl, fromHex('0000000500'), atLeast(4))), `${t.name}: SET_LOCALITY 0`).toBe('00000000');
      const est = await exchange(ctrl, fromHex('00000004'), atLeast(8));
      expect(hex(est.subarray(0, 4)), `${t.name}: GET_TPMESTABLISHED`).toBe('00000000');
      expect(est.length).toBe(8);
      const buf = await exchange(ctrl, fromHex('0000001100000000'), atLeast(16));
      expect(hex(buf.subarray(0, 4)), `${t.name}: SET_BUFFERSIZE query`).toBe('00000000');
      const [size, min, max] = [4, 8, 12].map((o) => new DataView(buf.buffer, buf.byteOffset).getUint32(o));
      expect(min! <= size! && size! <= max!, `${t.name}: buffer ${size} within ${min}..${max}`).toBe(true);
      const info = await exchange(ctrl, fromHex('00000012' + '0000000000000001' + '00000000' + '00000000'), (b) => b.length >= 12 && b.length >= 12 + new DataView(b.buffer, b.byteOffset).getUint32(8));
      expect(hex(info.subarray(0, 4)), `${t.name}: GET_INFO`).toBe('00000000');
      expect(JSON.parse(Buffer.from(info.subarray(12)).toString('utf8').replace(/\0+$/, '')), t.name).toMatchObject({ TPMSpecification: { family: '2.0' } });
      expect(hex(await exchange(ctrl, fromHex('00000099'), atLeast(4))), `${t.name}: unknown code`).toBe('0000000a');
    }
  });

  it('CMD_INIT power-cycles: the next TPM2_Startup succeeds, a second one answers TPM_RC_INITIALIZE', async () => {
    for (const t of targets) {
      expect(hex(await exchange(t.port + 1, fromHex('0000000200000000'), atLeast(4))), `${t.name}: CMD_INIT`).toBe('00000000');
      expect(hex(await exchange(t.port, fromHex('80010000000c000001440000'), tpmResponse)), t.name).toBe('80010000000a00000000');
      expect(hex(await exchange(t.port, fromHex('80010000000c000001440000'), tpmResponse)), t.name).toBe('80010000000a00000100');
    }
  });
});

describe('swtpm:// and mssim:// client transports against fwsec serve', () => {
  const ids = ['tpm2.startup.*', 'tpm2.platform.*', 'tpm2.pcr.reset-*', 'tpm2.policy.locality', 'tpm2.random.length', 'tpm2.nv.buffer-max-honoured'];
  it('runs start-up, locality, DRTM and NV checks over swtpm:// and mssim:// with the in-process verdicts', async () => {
    const swtpmPort = targets[1]!.port;
    const mssimPort = Number(/mssim:\/\/127\.0\.0\.1:(\d+)/.exec(serve.output())![1]);
    const inproc = await run({ ids, allowDestructive: true });
    expect(notPassing(inproc)).toEqual([]);
    for (const uri of [`swtpm://127.0.0.1:${swtpmPort}`, `mssim://127.0.0.1:${mssimPort}`]) {
      const o = await run({ profile: profileFor(uri, ['tpm2']), ids, allowDestructive: true });
      expect(o.results.length, uri).toBe(inproc.results.length);
      // the mssim protocol has no tpmEstablished signal: that check cannot run there
      expect(notPassing(o).map((l) => l.split(' — ')[0]), uri).toEqual(uri.startsWith('mssim') ? ['tpm2.platform.drtm-established: UNSUPPORTED'] : []);
    }
  });
});
