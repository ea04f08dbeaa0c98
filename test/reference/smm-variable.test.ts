// The reference UEFI variable service: never throws on any bytes, keeps NV
// variables across a restart from its state directory and drops volatile
// ones, verifies PKCS#7 made by efitools/OpenSSL, and its own test-time
// signer produces SignedData that OpenSSL verifies (an independent oracle).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SmmVariableClient } from '../../clients/smm-variable.js';
import { SERVICES } from '../../protocol/services.js';
import {
  BS_RT,
  EFI,
  GUIDS,
  NV_BS_RT,
  NV_BS_RT_AT,
  SPM_RET,
  buildCommBuffer,
  efiStatusName,
  showEfiTime,
} from '../../protocol/smm-variable/index.js';
import { FileMedium } from '../../reference/medium.js';
import { ReferenceStack } from '../../reference/stack.js';
import { smmVariableConfig } from '../../reference/smm-variable/config.js';
import { authData, certList, nextTime, pem, privateKeyPem, signDetached, signingKey } from '../../suites/smm-variable/signing.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fwsec-smmvar-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function clientOf(stack: ReferenceStack): SmmVariableClient {
  return new SmmVariableClient({
    uri: 'test',
    service: 'smm-variable',
    call: async (op, body) => (await stack.handle(SERVICES['smm-variable'], op, body.slice()))!,
  });
}

const G = '0badc0de-0000-4000-8000-46575345f00d';

describe('reference smm-variable service', () => {
  it('answers any bytes and any buffer with a status and never throws', async () => {
    const stack = await ReferenceStack.boot({ services: ['ps', 'smm-variable'] });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })), fc.uint8Array({ maxLength: 160 }), async (op, body) => {
        const r = await stack.handle(SERVICES['smm-variable'], op, body);
        expect(Number.isInteger(r!.status)).toBe(true);
      }),
      { numRuns: 1500 },
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 16 }), fc.uint8Array({ maxLength: 120 }), fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), async (fn, payload, len) => {
        const buf = buildCommBuffer(fn, payload, len === null ? {} : { messageLength: len });
        const r = await stack.handle(SERVICES['smm-variable'], 0, buf);
        expect([SPM_RET.SUCCESS, SPM_RET.INVALID_PARAMS, SPM_RET.NO_MEMORY, SPM_RET.NOT_SUPPORTED]).toContain(r!.status);
      }),
      { numRuns: 1500 },
    );
    expect(stack.internalErrors).toBe(0);
    const c = clientOf(stack);
    expect((await c.setVariable('Alive', G, NV_BS_RT, new Uint8Array([1]))).status).toBe(EFI.SUCCESS);
  });

  it('keeps NV variables and drops volatile ones across a restart from its state directory', async () => {
    const dir = tempDir();
    const a = await ReferenceStack.boot({ medium: new FileMedium(dir), services: ['ps', 'smm-variable'] });
    const ca = clientOf(a);
    expect((await ca.setVariable('Kept', G, NV_BS_RT, new Uint8Array([1, 2, 3]))).status).toBe(EFI.SUCCESS);
    expect((await ca.setVariable('Gone', G, BS_RT, new Uint8Array([4]))).status).toBe(EFI.SUCCESS);
    const b = await ReferenceStack.boot({ medium: new FileMedium(dir), services: ['ps', 'smm-variable'] });
    const cb = clientOf(b);
    const kept = await cb.getVariable('Kept', G, 8);
    expect(efiStatusName(kept.status)).toBe(efiStatusName(EFI.SUCCESS));
    expect([...kept.data]).toEqual([1, 2, 3]);
    expect((await cb.getVariable('Gone', G, 8)).status).toBe(EFI.NOT_FOUND);
    // and the PS partition of the normal world is a different one: variables are not PS assets of the caller
    expect((await b.handle(SERVICES.ps, 0x102, new Uint8Array(8)))!.status).not.toBe(0);
  });

  it('refuses a bad configuration section with a clear message', () => {
    expect(() => smmVariableConfig({ maxVariableSize: -1 })).toThrow(/smmVariable.maxVariableSize/);
    expect(() => smmVariableConfig({ malformedStatus: 'NOPE' })).toThrow(/malformedStatus/);
    expect(smmVariableConfig({ malformedStatus: 'INVALID_PARAMETER' }).malformedStatus).toBe('INVALID_PARAMETER');
  });

  it('accepts a variable signed by efitools with an OpenSSL-made key and refuses it tampered', async () => {
    const dir = tempDir();
    const key = join(dir, 'k.key');
    const crt = join(dir, 'k.crt');
    expect(spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-subj', '/CN=fwsec efitools test', '-days', '30']).status).toBe(0);
    writeFileSync(join(dir, 'data.bin'), new Uint8Array([9, 8, 7, 6]));
    const time = nextTime();
    const r = spawnSync('sign-efi-sig-list', ['-g', G, '-t', showEfiTime(time), '-c', crt, '-k', key, 'EfiVar', join(dir, 'data.bin'), join(dir, 'out.auth')], { env: { ...process.env, TZ: 'UTC' }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const auth = new Uint8Array(readFileSync(join(dir, 'out.auth')));
    const stack = await ReferenceStack.boot({ services: ['ps', 'smm-variable'] });
    const c = clientOf(stack);
    const bad = auth.slice();
    bad[bad.length - 2] ^= 0x40;
    expect(efiStatusName((await c.setVariable('EfiVar', G, NV_BS_RT_AT, bad)).status)).toBe(efiStatusName(EFI.SECURITY_VIOLATION));
    expect(efiStatusName((await c.setVariable('EfiVar', G, NV_BS_RT_AT, auth)).status)).toBe(efiStatusName(EFI.SUCCESS));
    const got = await c.getVariable('EfiVar', G, 16);
    expect([...got.data]).toEqual([9, 8, 7, 6]);
    expect(stack.internalErrors).toBe(0);
  });

  it('produces SignedData that OpenSSL verifies over the exact bytes (independent oracle for the test signer)', async () => {
    const dir = tempDir();
    const k = await signingKey('oracle');
    const content = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
    writeFileSync(join(dir, 'sig.der'), await signDetached(k, content, { contentInfo: true }));
    writeFileSync(join(dir, 'data.bin'), content);
    writeFileSync(join(dir, 'ca.pem'), pem('CERTIFICATE', k.certDer));
    const ok = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'sig.der'), '-content', join(dir, 'data.bin'), '-CAfile', join(dir, 'ca.pem'), '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    writeFileSync(join(dir, 'data.bin'), new Uint8Array([1, 2, 3, 4, 5, 6, 8]));
    const bad = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'sig.der'), '-content', join(dir, 'data.bin'), '-CAfile', join(dir, 'ca.pem'), '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect((await privateKeyPem(k)).startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
  });

  it('enrols PK, moves SetupMode to 0 and back, and keeps the platform mode across a restart', async () => {
    const dir = tempDir();
    const stack = await ReferenceStack.boot({ medium: new FileMedium(dir), services: ['ps', 'smm-variable'] });
    const c = clientOf(stack);
    const pk = await signingKey('pk');
    const enrol = await authData({ key: pk, name: 'PK', guid: GUIDS.GLOBAL_VARIABLE, attributes: NV_BS_RT_AT, payload: certList(pk) });
    expect((await c.setVariable('PK', GUIDS.GLOBAL_VARIABLE, NV_BS_RT_AT, enrol.data)).status).toBe(EFI.SUCCESS);
    expect([...(await c.getVariable('SetupMode', GUIDS.GLOBAL_VARIABLE, 1)).data]).toEqual([0]);
    const again = clientOf(await ReferenceStack.boot({ medium: new FileMedium(dir), services: ['ps', 'smm-variable'] }));
    expect([...(await again.getVariable('SetupMode', GUIDS.GLOBAL_VARIABLE, 1)).data]).toEqual([0]);
    const del = await authData({ key: pk, name: 'PK', guid: GUIDS.GLOBAL_VARIABLE, attributes: NV_BS_RT_AT, payload: new Uint8Array(0) });
    expect((await again.setVariable('PK', GUIDS.GLOBAL_VARIABLE, NV_BS_RT_AT, del.data)).status).toBe(EFI.SUCCESS);
    expect([...(await again.getVariable('SetupMode', GUIDS.GLOBAL_VARIABLE, 1)).data]).toEqual([1]);
  });
});
