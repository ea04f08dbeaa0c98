// The reference ITS/PS: never crashes on any bytes, persists atomically on
// disk, keeps capacity accounting across reboots.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SERVICES } from '../../protocol/services.js';
import { PSA } from '../../protocol/psa/status.js';
import * as S from '../../protocol/psa/storage.js';
import { ReferenceStack } from '../../reference/stack.js';
import { FileMedium, MemoryMedium } from '../../reference/medium.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fwsec-test-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('reference storage service', () => {
  it('answers any bytes on any opcode with a PSA status and never throws', async () => {
    const stack = await ReferenceStack.boot();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(SERVICES.its, SERVICES.ps),
        fc.oneof(fc.integer({ min: 0x100, max: 0x106 }), fc.integer({ min: 0, max: 0xffffffff })),
        fc.uint8Array({ maxLength: 64 }),
        async (svc, op, body) => {
          const r = await stack.handle(svc, op, body);
          expect(r).toBeDefined();
          expect(Number.isInteger(r!.status)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
    expect(stack.internalErrors).toBe(0);
    // and it still works
    const ok = await stack.handle(SERVICES.its, S.StorageOpcode.SET, S.encodeSet({ uid: 5n, data: new Uint8Array([1]), flags: 0 }));
    expect(ok!.status).toBe(PSA.SUCCESS);
  });

  it('keeps ITS and PS apart: the same uid holds different assets', async () => {
    const stack = await ReferenceStack.boot();
    await stack.handle(SERVICES.its, S.StorageOpcode.SET, S.encodeSet({ uid: 9n, data: new Uint8Array([1]), flags: 0 }));
    const r = await stack.handle(SERVICES.ps, S.StorageOpcode.GET_INFO, S.encodeUid(9n));
    expect(r!.status).toBe(PSA.ERROR_DOES_NOT_EXIST);
  });

  it('survives a reboot on the same medium and loses nothing, capacity accounting included', async () => {
    const medium = new MemoryMedium();
    const cfg = { its: { capacity: 100, maxAssetSize: 60 } };
    const a = await ReferenceStack.boot({ medium, config: cfg });
    const set = (s: ReferenceStack, uid: bigint, n: number) =>
      s.handle(SERVICES.its, S.StorageOpcode.SET, S.encodeSet({ uid, data: new Uint8Array(n), flags: 0 }));
    expect((await set(a, 1n, 60))!.status).toBe(PSA.SUCCESS);
    await a.reboot();
    // 60 of 100 bytes are still used after the reboot
    expect((await set(a, 2n, 41))!.status).toBe(PSA.ERROR_INSUFFICIENT_STORAGE);
    expect((await set(a, 2n, 40))!.status).toBe(PSA.SUCCESS);
    const b = await ReferenceStack.boot({ medium, config: cfg });
    expect((await b.handle(SERVICES.its, S.StorageOpcode.GET_INFO, S.encodeUid(2n)))!.status).toBe(PSA.SUCCESS);
  });
});

describe('file medium', () => {
  it('persists across instances and leaves no temporary files', () => {
    const dir = tempDir();
    const m = new FileMedium(dir);
    m.write('its/ns/0000000000000001', new Uint8Array([1, 2, 3]));
    m.write('its/ns/0000000000000001', new Uint8Array([4]));
    m.write('ps/ns/0000000000000002', new Uint8Array([5]));
    const again = new FileMedium(dir);
    expect([...again.read('its/ns/0000000000000001')!]).toEqual([4]);
    expect(again.list('its/ns')).toEqual(['0000000000000001']);
    expect(again.list('')).toEqual(['its', 'ps']);
    expect(readdirSync(join(dir, 'its', 'ns')).filter((n) => n.startsWith('.tmp'))).toEqual([]);
    again.delete('ps/ns/0000000000000002');
    expect(again.read('ps/ns/0000000000000002')).toBeUndefined();
  });

  it('discards a temporary file a crash left behind, keeping the old value', () => {
    const dir = tempDir();
    const m = new FileMedium(dir);
    m.write('its/ns/0000000000000003', new Uint8Array([7]));
    // a crash between writing the temporary file and renaming it
    writeFileSync(join(dir, 'its', 'ns', '.tmp-deadbeef0000'), new Uint8Array([8, 8]));
    const after = new FileMedium(dir);
    expect([...after.read('its/ns/0000000000000003')!]).toEqual([7]);
    expect(readdirSync(join(dir, 'its', 'ns'))).toEqual(['0000000000000003']);
  });

  it('refuses keys that would escape the state directory', () => {
    const m = new FileMedium(tempDir());
    expect(() => m.write('../etc/passwd', new Uint8Array(1))).toThrow(/invalid medium key/);
    expect(() => m.write('its/../../x', new Uint8Array(1))).toThrow(/invalid medium key/);
  });

  it('reports a damaged record as PSA_ERROR_STORAGE_FAILURE (ITS) / PSA_ERROR_DATA_CORRUPT (PS), not a crash', async () => {
    const dir = tempDir();
    // the plain medium backends (ITS on RPMB and PS on the REE FS are tested in test/rpmb/)
    const config = { its: { backend: 'medium' }, ps: { backend: 'medium' } };
    const stack = await ReferenceStack.boot({ medium: new FileMedium(dir), config });
    for (const svc of [SERVICES.its, SERVICES.ps]) {
      await stack.handle(svc, S.StorageOpcode.SET, S.encodeSet({ uid: 4n, data: new Uint8Array([1, 2, 3]), flags: 0 }));
    }
    for (const part of ['its', 'ps']) writeFileSync(join(dir, part, 'ns', '0000000000000004'), new Uint8Array([9, 9, 9]));
    const again = await ReferenceStack.boot({ medium: new FileMedium(dir), config });
    expect((await again.handle(SERVICES.its, S.StorageOpcode.GET, S.encodeGet({ uid: 4n, offset: 0n, size: 3n })))!.status).toBe(PSA.ERROR_STORAGE_FAILURE);
    expect((await again.handle(SERVICES.ps, S.StorageOpcode.GET_INFO, S.encodeUid(4n)))!.status).toBe(PSA.ERROR_DATA_CORRUPT);
    expect(again.internalErrors).toBe(0);
  });
});
