// The reference crypto service: answers any request with a PSA status and
// never throws (structured fuzzing over live keys and operations), keeps
// persistent keys in its own ITS partition across reboots and on disk,
// loses volatile keys and operations at reboot, and enforces its limits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, hex } from '../../protocol/bytes.js';
import { SERVICES } from '../../protocol/services.js';
import { PSA } from '../../protocol/psa/status.js';
import * as S from '../../protocol/psa/storage.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { Alg, CryptoOpcode as Op, KeyType, Usage } from '../../protocol/psa/crypto/constants.js';
import * as K from '../../protocol/psa/crypto/codec.js';
import { ReferenceStack } from '../../reference/stack.js';
import { FileMedium, MemoryMedium } from '../../reference/medium.js';
import { RSA_2048_PRIVATE } from '../../suites/psa-crypto/testkeys.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Call = <O extends K.RequestOpcode>(op: O, v: Partial<K.Request<O>>) => Promise<{ status: number; value?: K.Response<O> }>;

function caller(stack: ReferenceStack): Call {
  return async (op, v) => {
    const r = (await stack.handle(SERVICES.crypto, op, K.encodeRequest(op, v)))!;
    return r.status === PSA.SUCCESS ? { status: r.status, value: K.decodeResponse(op, r.body) } : { status: r.status };
  };
}

const attrs = (a: Partial<K.KeyAttributes>): K.KeyAttributes => ({ ...K.EMPTY_ATTRIBUTES, ...a });
const AES_KEY = fromHex('000102030405060708090a0b0c0d0e0f');

/** Algorithms the fuzzer draws from: everything the reference implements, and some it does not. */
const ALGS = [
  ...Object.values(Alg),
  C.hmac(Alg.SHA_256),
  C.ecdsa(Alg.SHA_256),
  C.ecdsa(Alg.ANY_HASH),
  C.deterministicEcdsa(Alg.SHA_384),
  C.rsaPss(Alg.SHA_256),
  C.rsaOaep(Alg.SHA_1),
  C.hkdf(Alg.SHA_256),
  C.hkdfExtract(Alg.SHA_256),
  C.tls12Prf(Alg.SHA_384),
  C.pbkdf2Hmac(Alg.SHA_256),
  C.keyAgreement(Alg.ECDH, C.hkdf(Alg.SHA_256)),
  C.truncatedMac(Alg.CMAC, 4),
  C.atLeastThisLengthMac(C.hmac(Alg.SHA_256), 0),
  C.aeadWithShortenedTag(Alg.CCM, 3),
  C.aeadWithAtLeastThisLengthTag(Alg.GCM, 0),
  0x7fffffff,
  0,
];
const TYPES = [...Object.values(KeyType), C.eccKeyPair(C.EccFamily.SECP_R1), C.eccKeyPair(C.EccFamily.MONTGOMERY), C.eccKeyPair(C.EccFamily.TWISTED_EDWARDS), 0x4112, 0x7117, 0x7fff];
const STEPS = [...Object.values(C.KdfStep), 0, 0xffff];

async function liveObjects(stack: ReferenceStack): Promise<{ keys: number[]; ops: number[] }> {
  const call = caller(stack);
  const all = Usage.EXPORT | Usage.COPY | Usage.ENCRYPT | Usage.DECRYPT | Usage.SIGN_HASH | Usage.VERIFY_HASH | Usage.SIGN_MESSAGE | Usage.VERIFY_MESSAGE | Usage.DERIVE;
  const imports: [K.KeyAttributes, Uint8Array][] = [
    [attrs({ type: KeyType.AES, usage: all, alg: Alg.GCM }), AES_KEY],
    [attrs({ type: KeyType.AES, usage: all, alg: Alg.CBC_PKCS7 }), AES_KEY],
    [attrs({ type: KeyType.HMAC, usage: all, alg: C.hmac(Alg.SHA_256) }), AES_KEY],
    [attrs({ type: KeyType.DERIVE, usage: all, alg: C.hkdf(Alg.SHA_256) }), AES_KEY],
    [attrs({ type: C.eccKeyPair(C.EccFamily.SECP_R1), usage: all, alg: C.ecdsa(Alg.ANY_HASH) }), new Uint8Array(32).fill(7)],
    [attrs({ type: C.eccKeyPair(C.EccFamily.SECP_R1), usage: all, alg: Alg.ECDH }), new Uint8Array(32).fill(9)],
    [attrs({ type: KeyType.RSA_KEY_PAIR, usage: all, alg: C.rsaPkcs1v15Sign(Alg.ANY_HASH) }), RSA_2048_PRIVATE],
    // a key that permits nothing: every use must be refused by policy
    [attrs({ type: KeyType.AES, usage: 0, alg: Alg.GCM }), AES_KEY],
  ];
  const keys: number[] = [];
  for (const [a, d] of imports) {
    const r = await call(Op.IMPORT_KEY, { attributes: a, data: d });
    expect(r.status).toBe(PSA.SUCCESS);
    keys.push(r.value!.id);
  }
  const ops: number[] = [];
  const setups = [
    await call(Op.HASH_SETUP, { alg: Alg.SHA_256 }),
    await call(Op.MAC_SIGN_SETUP, { id: keys[2]!, alg: C.hmac(Alg.SHA_256) }),
    await call(Op.CIPHER_DECRYPT_SETUP, { id: keys[1]!, alg: Alg.CBC_PKCS7 }),
    await call(Op.AEAD_DECRYPT_SETUP, { id: keys[0]!, alg: Alg.GCM }),
    await call(Op.KEY_DERIVATION_SETUP, { alg: C.hkdf(Alg.SHA_256) }),
  ];
  for (const s of setups) {
    expect(s.status).toBe(PSA.SUCCESS);
    ops.push((s.value as { op: number }).op);
  }
  return { keys, ops };
}

/** A request of `op` whose fields come from live ids and handles, known identifiers and random values. */
function requestArb(op: K.RequestOpcode, keys: number[], ops: number[]): fc.Arbitrary<Uint8Array> {
  const layout = K.REQUEST[op] as K.Layout;
  const u32 = fc.oneof(
    { arbitrary: fc.constantFrom(...keys, ...ops), weight: 4 },
    { arbitrary: fc.constantFrom(...ALGS, ...STEPS), weight: 3 },
    { arbitrary: fc.nat({ max: 300 }), weight: 2 },
    { arbitrary: fc.constantFrom(0, 0xffffffff, 0x40000000, 0x3fffffff), weight: 1 },
    { arbitrary: fc.nat(), weight: 1 },
  );
  const attrsArb = fc.record({
    type: fc.constantFrom(...TYPES),
    bits: fc.constantFrom(0, 1, 8, 127, 128, 192, 255, 256, 384, 521, 1024, 0xffffffff),
    lifetime: fc.constantFrom(0, 1, 0x100, 0x101, 0xff, 0x80000001),
    id: fc.oneof(fc.constantFrom(0, 1, 0x3fffffff, 0x40000000, ...keys), fc.nat()),
    usage: fc.oneof(fc.constantFrom(0, Usage.EXPORT, Usage.DERIVE, 0xffff), fc.nat()),
    alg: fc.constantFrom(...ALGS),
  });
  const fixed = layout.fixed.map(([, kind]) =>
    kind === 'u32' ? u32 : kind === 'u64' ? fc.oneof(fc.constantFrom(0n, 1n, 4096n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })) : attrsArb,
  );
  const records = fc.array(
    fc.record({ tag: layout.tlv.length ? fc.oneof(fc.constantFrom(...layout.tlv.map(([, t]) => t)), fc.nat({ max: 0xffff })) : fc.nat({ max: 0xffff }), value: fc.uint8Array({ maxLength: 80 }) }),
    { maxLength: 3 },
  );
  return fc.tuple(fc.tuple(...fixed), records, fc.option(fc.nat({ max: 120 }), { freq: 6 })).map(([vals, recs, cut]) => {
    const v: Record<string, unknown> = {};
    layout.fixed.forEach(([name], i) => (v[name] = vals[i]));
    const body = Buffer.concat([K.encodeRequest(op, v as never), K.encodeTlv(recs)]);
    return new Uint8Array(cut === null ? body : body.subarray(0, cut));
  });
}

describe('reference crypto service', () => {
  it('answers random bytes on any opcode with a PSA status and never throws', async () => {
    const stack = await ReferenceStack.boot();
    const opcodes = Object.values(Op);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(...opcodes), fc.integer({ min: 0, max: 0xffff })), fc.uint8Array({ maxLength: 64 }), async (op, body) => {
        const r = await stack.handle(SERVICES.crypto, op, body);
        expect(r!.status).toBeLessThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
    expect(stack.internalErrors).toBe(0);
  });

  it('answers structured requests over live keys and operations with a status, and a well-formed body on success', async () => {
    // PBKDF2 cost capped so a fuzzed cost cannot stall the run
    const stack = await ReferenceStack.boot({ config: { crypto: { maxPbkdf2Cost: 1000 } } });
    const { keys, ops } = await liveObjects(stack);
    const arb = fc.constantFrom(...(Object.values(Op) as K.RequestOpcode[])).chain((op) => fc.tuple(fc.constant(op), requestArb(op, keys, ops)));
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(arb, async ([op, body]) => {
        const r = (await stack.handle(SERVICES.crypto, op, body))!;
        expect(Number.isInteger(r.status) && r.status <= 0).toBe(true);
        seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
        if (r.status === PSA.SUCCESS) expect(() => K.decodeResponse(op, r.body)).not.toThrow();
        else expect(r.body.length).toBe(0);
      }),
      { numRuns: 3000, seed: 7 },
    );
    expect(stack.internalErrors, String(stack.lastInternalError)).toBe(0);
    // the fuzz reached past the decoders: successes and several distinct refusals
    expect(seen.get(PSA.SUCCESS) ?? 0).toBeGreaterThan(100);
    expect([PSA.ERROR_INVALID_ARGUMENT, PSA.ERROR_NOT_SUPPORTED, PSA.ERROR_BAD_STATE, PSA.ERROR_INVALID_HANDLE, PSA.ERROR_NOT_PERMITTED].filter((s) => !seen.get(s)), JSON.stringify([...seen])).toEqual([]);
  });

  it('keeps persistent keys across reboots, in its own ITS partition; volatile keys and operations are lost', async () => {
    const stack = await ReferenceStack.boot();
    const call = caller(stack);
    const id = 0x42;
    const p = await call(Op.IMPORT_KEY, { attributes: attrs({ type: KeyType.AES, bits: 128, lifetime: C.Lifetime.PERSISTENT, id, usage: Usage.EXPORT, alg: Alg.CTR }), data: AES_KEY });
    expect(p.status).toBe(PSA.SUCCESS);
    expect(p.value!.id).toBe(id);
    const v = await call(Op.IMPORT_KEY, { attributes: attrs({ type: KeyType.AES, usage: Usage.EXPORT }), data: AES_KEY });
    expect(v.status).toBe(PSA.SUCCESS);
    const h = await call(Op.HASH_SETUP, { alg: Alg.SHA_256 });
    // the normal world's ITS does not see the key store's records
    expect((await stack.handle(SERVICES.its, S.StorageOpcode.GET_INFO, S.encodeUid(BigInt(id))))!.status).toBe(PSA.ERROR_DOES_NOT_EXIST);

    await stack.reboot();
    const back = await call(Op.EXPORT_KEY, { id });
    expect(back.status).toBe(PSA.SUCCESS);
    expect(hex(back.value!.data)).toBe(hex(AES_KEY));
    const a = await call(Op.GET_KEY_ATTRIBUTES, { id });
    expect(a.value!.attributes).toEqual({ type: KeyType.AES, bits: 128, lifetime: C.Lifetime.PERSISTENT, id, usage: Usage.EXPORT, alg: Alg.CTR });
    expect((await call(Op.EXPORT_KEY, { id: v.value!.id })).status).toBe(PSA.ERROR_INVALID_HANDLE);
    expect((await call(Op.HASH_UPDATE, { op: h.value!.op, data: fromHex('00') })).status).toBe(PSA.ERROR_BAD_STATE);

    expect((await call(Op.DESTROY_KEY, { id })).status).toBe(PSA.SUCCESS);
    await stack.reboot();
    expect((await call(Op.GET_KEY_ATTRIBUTES, { id })).status).toBe(PSA.ERROR_INVALID_HANDLE);
    expect(stack.internalErrors).toBe(0);
  });

  it('keeps persistent keys on disk (fwsec serve --state): a new process finds them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwsec-crypto-'));
    dirs.push(dir);
    const first = await ReferenceStack.boot({ medium: new FileMedium(dir) });
    const id = 0x1234;
    const r = await caller(first)(Op.IMPORT_KEY, {
      attributes: attrs({ type: C.eccKeyPair(C.EccFamily.SECP_R1), lifetime: C.Lifetime.PERSISTENT, id, usage: Usage.SIGN_HASH, alg: C.ecdsa(Alg.SHA_256) }),
      data: new Uint8Array(32).fill(3),
    });
    expect(r.status).toBe(PSA.SUCCESS);
    const second = await ReferenceStack.boot({ medium: new FileMedium(dir) });
    const pub = await caller(second)(Op.EXPORT_PUBLIC_KEY, { id });
    expect(pub.status).toBe(PSA.SUCCESS);
    expect(pub.value!.data.length).toBe(65);
    expect(pub.value!.data[0]).toBe(0x04);
  });

  it('enforces its configured limits with INSUFFICIENT_MEMORY, and abort frees an operation', async () => {
    const stack = await ReferenceStack.boot({ medium: new MemoryMedium(), config: { crypto: { maxOperations: 2, maxVolatileKeys: 1 } } });
    const call = caller(stack);
    const a = await call(Op.HASH_SETUP, { alg: Alg.SHA_256 });
    expect((await call(Op.HASH_SETUP, { alg: Alg.SHA_256 })).status).toBe(PSA.SUCCESS);
    expect((await call(Op.HASH_SETUP, { alg: Alg.SHA_256 })).status).toBe(PSA.ERROR_INSUFFICIENT_MEMORY);
    expect((await call(Op.HASH_ABORT, { op: a.value!.op })).status).toBe(PSA.SUCCESS);
    expect((await call(Op.HASH_SETUP, { alg: Alg.SHA_256 })).status).toBe(PSA.SUCCESS);
    const key = { attributes: attrs({ type: KeyType.RAW_DATA }), data: fromHex('01') };
    expect((await call(Op.IMPORT_KEY, key)).status).toBe(PSA.SUCCESS);
    expect((await call(Op.IMPORT_KEY, key)).status).toBe(PSA.ERROR_INSUFFICIENT_MEMORY);
  });

  it('refuses a bad crypto configuration with a clear error', async () => {
    await expect(ReferenceStack.boot({ config: { crypto: { maxOperations: 0 } } })).rejects.toThrow(/crypto\.maxOperations must be a positive integer/);
  });
});
