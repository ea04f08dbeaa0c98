// The real client: tpm2-tools 5.4 (Debian) through its swtpm TCTI against
// `fwsec serve --swtpm`, the reference TPM behind swtpm's socket protocol.
// Outputs are checked against independent computations (node:crypto for PCR
// values, policy digests and ECDSA signatures). tpm2-tools without a
// resource manager leaves objects loaded, so transient objects are flushed
// between tools, as a lab script does.
import { createHash, createVerify } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FWSEC_BIN, spawnReady, waitExit, type Spawned } from '../../suites/harness/launchers.js';

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

let server: Spawned;
let port = 0;
let dir = '';

function tool(args: string[]): Promise<Out> {
  return new Promise((resolve) => {
    execFile(args[0]!, args.slice(1), { cwd: dir, env: { ...process.env, TPM2TOOLS_TCTI: `swtpm:host=127.0.0.1,port=${port}` }, timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Runs a tool that must succeed; returns its stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await tool(args);
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

const flushAll = () => ok('tpm2_flushcontext', '-t');
const sha256 = (...p: (Buffer | Uint8Array)[]) => {
  const h = createHash('sha256');
  for (const x of p) h.update(x);
  return h.digest();
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fwsec-tpm2-tools-'));
  server = spawnReady(process.execPath, [FWSEC_BIN, 'serve', '--swtpm', 'tcp://127.0.0.1:0'], /listening on swtpm:\/\/127\.0\.0\.1:(\d+)/, 30_000);
  port = Number((await server.ready)[1]);
  await ok('tpm2_startup', '-c');
});

afterAll(async () => {
  if (server) {
    server.child.kill('SIGTERM');
    await waitExit(server.child, 5000);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('tpm2-tools against fwsec serve --swtpm', () => {
  it('getrandom and getcap', async () => {
    expect((await ok('tpm2_getrandom', '--hex', '16')).trim()).toMatch(/^[0-9a-f]{32}$/);
    const fixed = await ok('tpm2_getcap', 'properties-fixed');
    expect(fixed).toMatch(/TPM2_PT_FAMILY_INDICATOR:\s+raw: 0x322E3000\s+value: "2.0"/);
    expect(fixed).toMatch(/TPM2_PT_NV_BUFFER_MAX:\s+raw: 0x400/);
    expect(await ok('tpm2_getcap', 'algorithms')).toMatch(/^sha256:/m);
    expect(await ok('tpm2_getcap', 'commands')).toMatch(/TPM2_CC_CreatePrimary:/);
    expect(await ok('tpm2_getcap', 'pcrs')).toMatch(/sha256: \[ 0, 1, 2, .* 23 \]/);
  });

  it('pcrreset, pcrextend and pcrread give H(0 || digest)', async () => {
    const digest = Buffer.alloc(32, 0x11);
    await ok('tpm2_pcrreset', '16');
    await ok('tpm2_pcrextend', `16:sha256=${digest.toString('hex')}`);
    const out = await ok('tpm2_pcrread', 'sha256:16');
    expect(out).toContain(`16: 0x${sha256(Buffer.alloc(32), digest).toString('hex').toUpperCase()}`);
  });

  it('createprimary (ECC, and RSA-2048 deterministic for the same template)', async () => {
    const ecc = await ok('tpm2_createprimary', '-C', 'o', '-G', 'ecc', '-c', 'primary.ctx');
    expect(ecc).toMatch(/type:\s+value: ecc/);
    expect(ecc).toMatch(/curve-id:\s+value: NIST p256/);
    await flushAll();
    const rsa1 = (await ok('tpm2_createprimary', '-C', 'o', '-G', 'rsa', '-c', 'rsa.ctx')).match(/^rsa: ([0-9a-f]+)$/m)?.[1];
    await flushAll();
    const rsa2 = (await ok('tpm2_createprimary', '-C', 'o', '-G', 'rsa', '-c', 'rsa.ctx')).match(/^rsa: ([0-9a-f]+)$/m)?.[1];
    await flushAll();
    expect(rsa1).toMatch(/^[0-9a-f]{512}$/);
    expect(rsa2).toBe(rsa1);
  });

  it('create, load, readpublic, sign and verifysignature (signature checked with node:crypto)', async () => {
    await ok('tpm2_createprimary', '-C', 'o', '-G', 'ecc', '-c', 'parent.ctx');
    await flushAll();
    await ok('tpm2_create', '-C', 'parent.ctx', '-G', 'ecc', '-u', 'key.pub', '-r', 'key.priv');
    await flushAll();
    const loadName = (await ok('tpm2_load', '-C', 'parent.ctx', '-u', 'key.pub', '-r', 'key.priv', '-c', 'key.ctx')).match(/^name: ([0-9a-f]+)$/m)?.[1];
    await flushAll();
    const pub = await ok('tpm2_readpublic', '-c', 'key.ctx', '-f', 'pem', '-o', 'key.pem');
    expect(pub.match(/^name: ([0-9a-f]+)$/m)?.[1]).toBe(loadName);
    await flushAll();
    writeFileSync(join(dir, 'msg'), 'fwsec tpm2-tools');
    await ok('tpm2_sign', '-c', 'key.ctx', '-g', 'sha256', '-f', 'plain', '-o', 'sig.der', 'msg');
    await flushAll();
    const v = createVerify('sha256').update('fwsec tpm2-tools');
    expect(v.verify(readFileSync(join(dir, 'key.pem'), 'utf8'), readFileSync(join(dir, 'sig.der')))).toBe(true);
    await ok('tpm2_sign', '-c', 'key.ctx', '-g', 'sha256', '-o', 'sig.tss', 'msg');
    await flushAll();
    await ok('tpm2_verifysignature', '-c', 'key.ctx', '-g', 'sha256', '-m', 'msg', '-s', 'sig.tss');
    await flushAll();
    writeFileSync(join(dir, 'msg2'), 'fwsec tpm2-toolz');
    const bad = await tool(['tpm2_verifysignature', '-c', 'key.ctx', '-g', 'sha256', '-m', 'msg2', '-s', 'sig.tss']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('0x2DB'); // TPM_RC_SIGNATURE + parameter 2
    await flushAll();
  });

  it('evictcontrol persists and evicts a primary', async () => {
    await ok('tpm2_createprimary', '-C', 'o', '-G', 'ecc', '-c', 'p.ctx');
    await flushAll();
    const name = (await ok('tpm2_readpublic', '-c', 'p.ctx')).match(/^name: ([0-9a-f]+)$/m)?.[1];
    expect(name).toMatch(/^000b[0-9a-f]{64}$/);
    await flushAll();
    const p = await ok('tpm2_evictcontrol', '-C', 'o', '-c', 'p.ctx', '0x81000001');
    expect(p).toMatch(/persistent-handle: 0x81000001\s+action: persisted/);
    await flushAll();
    expect((await ok('tpm2_readpublic', '-c', '0x81000001')).match(/^name: ([0-9a-f]+)$/m)?.[1]).toBe(name);
    expect(await ok('tpm2_getcap', 'handles-persistent')).toContain('0x81000001');
    expect(await ok('tpm2_evictcontrol', '-C', 'o', '-c', '0x81000001')).toMatch(/action: evicted/);
    expect(await ok('tpm2_getcap', 'handles-persistent')).not.toContain('0x81000001');
  });

  it('nvdefine, nvwrite, nvread, nvincrement and nvundefine', async () => {
    expect(await ok('tpm2_nvdefine', '0x1500016', '-C', 'o', '-s', '32', '-a', 'ownerread|ownerwrite')).toContain('nv-index: 0x1500016');
    const data = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff));
    writeFileSync(join(dir, 'nv.in'), data);
    await ok('tpm2_nvwrite', '0x1500016', '-C', 'o', '-i', 'nv.in');
    await ok('tpm2_nvread', '0x1500016', '-C', 'o', '-s', '32', '-o', 'nv.out');
    expect(readFileSync(join(dir, 'nv.out')).toString('hex')).toBe(data.toString('hex'));
    await ok('tpm2_nvdefine', '0x1500017', '-C', 'o', '-s', '8', '-a', 'ownerread|ownerwrite|nt=counter');
    await ok('tpm2_nvincrement', '0x1500017', '-C', 'o');
    await ok('tpm2_nvread', '0x1500017', '-C', 'o', '-s', '8', '-o', 'c1');
    await ok('tpm2_nvincrement', '0x1500017', '-C', 'o');
    await ok('tpm2_nvread', '0x1500017', '-C', 'o', '-s', '8', '-o', 'c2');
    const c1 = readFileSync(join(dir, 'c1')).readBigUInt64BE();
    expect(readFileSync(join(dir, 'c2')).readBigUInt64BE()).toBe(c1 + 1n);
    await ok('tpm2_nvundefine', '0x1500016', '-C', 'o');
    await ok('tpm2_nvundefine', '0x1500017', '-C', 'o');
    const left = await ok('tpm2_getcap', 'handles-nv-index');
    expect(left).not.toContain('0x1500016');
    expect(left).not.toContain('0x1500017');
  });

  it('changeauth of the owner hierarchy', async () => {
    await ok('tpm2_changeauth', '-c', 'o', 'fwsec-pass');
    const refused = await tool(['tpm2_createprimary', '-C', 'o', '-G', 'ecc', '-c', 'x.ctx']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('0x9A2'); // TPM_RC_BAD_AUTH + session 1
    await ok('tpm2_flushcontext', '-l'); // the failed tool leaves its HMAC session loaded
    await ok('tpm2_createprimary', '-C', 'o', '-P', 'fwsec-pass', '-G', 'ecc', '-c', 'x.ctx');
    await flushAll();
    await ok('tpm2_changeauth', '-c', 'o', '-p', 'fwsec-pass');
    await ok('tpm2_createprimary', '-C', 'o', '-G', 'ecc', '-c', 'x.ctx');
    await flushAll();
  });

  it('startauthsession and policypcr give the PolicyPCR digest; flushcontext removes the session', async () => {
    await ok('tpm2_startauthsession', '--policy-session', '-S', 'session.ctx');
    await ok('tpm2_policypcr', '-S', 'session.ctx', '-l', 'sha256:16', '-L', 'policy.bin');
    await ok('tpm2_pcrread', 'sha256:16', '-o', 'pcr16.bin');
    const pcr = readFileSync(join(dir, 'pcr16.bin'));
    expect(pcr.length).toBe(32);
    const selection = Buffer.from('00000001000b03000001', 'hex');
    const want = sha256(Buffer.alloc(32), Buffer.from('0000017f', 'hex'), selection, sha256(pcr));
    expect(readFileSync(join(dir, 'policy.bin')).toString('hex')).toBe(want.toString('hex'));
    await ok('tpm2_flushcontext', 'session.ctx');
    expect((await ok('tpm2_getcap', 'handles-saved-session')).trim()).toBe('');
    expect((await ok('tpm2_getcap', 'handles-loaded-session')).trim()).toBe('');
    expect((await ok('tpm2_getcap', 'handles-transient')).trim()).toBe('');
  });
});
