// protocol/tpm2 vectors, both ways: response-code names (format 0/1,
// parameter/handle/session numbers, warnings, TPM 1.2 and TSS layers),
// structure marshalling round trips, and the authorization computations
// against node:crypto as an independent oracle and published digests.
import { createCipheriv, createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../protocol/bytes.js';
import { ALG, CC, TPMA_NV } from '../../protocol/tpm2/constants.js';
import { computeName, kdfa, kdfe } from '../../protocol/tpm2/crypto.js';
import { decodeHeader, decodeResponse, encodeCommand, errorResponse } from '../../protocol/tpm2/command.js';
import { TpmReader, TpmWriter } from '../../protocol/tpm2/marshal.js';
import { RC, decodeRc, isRetryable, rcH, rcName, rcP, rcS } from '../../protocol/tpm2/rc.js';
import { commandHmac, cpHash, cryptParameter, policyAuthValue, policyCommandCode, responseHmac, rpHash, sessionKey, stripZeros, zeroDigest } from '../../protocol/tpm2/session.js';
import { marshalNvPublic, marshalPublic, nvName, readNvPublic, readPcrSelections, readPublic, writePcrSelections, type NvPublic } from '../../protocol/tpm2/structures.js';
import { eccSigning, eccStorage, rsaSigning, rsaStorage, sealed } from '../../protocol/tpm2/templates.js';
import { Writer } from '../../protocol/bytes.js';

const be32 = (v: number) => Buffer.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);

describe('TPM response codes', () => {
  it('names format-1 codes with parameter, handle and session numbers', () => {
    expect(rcName(0x1c4)).toBe('TPM_RC_VALUE + parameter 1 (0x1c4)');
    expect(rcName(0x2d5)).toBe('TPM_RC_SIZE + parameter 2 (0x2d5)');
    expect(rcName(0x18b)).toBe('TPM_RC_HANDLE + handle 1 (0x18b)');
    expect(rcName(0x19a)).toBe('TPM_RC_INSUFFICIENT + handle 1 (0x19a)');
    expect(rcName(0x9a2)).toBe('TPM_RC_BAD_AUTH + session 1 (0x9a2)');
    expect(rcName(0x98e)).toBe('TPM_RC_AUTH_FAIL + session 1 (0x98e)');
    expect(decodeRc(0xfc4)).toMatchObject({ name: 'VALUE', parameter: 15 });
    expect(decodeRc(0x784)).toMatchObject({ name: 'VALUE', handle: 7 });
    expect(decodeRc(0xf84)).toMatchObject({ name: 'VALUE', session: 7 });
  });

  it('names format-0 errors, warnings, TPM 1.2 codes and TSS layers', () => {
    expect(rcName(0)).toBe('TPM_RC_SUCCESS (0x0)');
    expect(rcName(0x100)).toBe('TPM_RC_INITIALIZE (0x100)');
    expect(rcName(0x143)).toBe('TPM_RC_COMMAND_CODE (0x143)');
    expect(rcName(0x922)).toBe('TPM_RC_RETRY (0x922)');
    expect(rcName(0x907)).toBe('TPM_RC_LOCALITY (0x907)');
    expect(rcName(0x01e)).toBe('TPM_RC_BAD_TAG (0x1e)');
    expect(rcName(0x030)).toContain('(0x30)');
    expect(decodeRc(0xb0143)).toMatchObject({ format: 'layered', base: 0x143 });
  });

  it('builds numbered codes the way Part 2 defines them', () => {
    expect(rcP(RC.VALUE, 1)).toBe(0x1c4);
    expect(rcP(RC.SIZE, 2)).toBe(0x2d5);
    expect(rcH(RC.HANDLE, 2)).toBe(0x28b);
    expect(rcS(RC.BAD_AUTH, 1)).toBe(0x9a2);
    expect(isRetryable(RC.RETRY)).toBe(true);
    expect(isRetryable(RC.TESTING)).toBe(true);
    expect(isRetryable(RC.LOCKOUT)).toBe(false);
    expect(isRetryable(0x9a2)).toBe(false);
  });

  it('decodes every 32-bit value without throwing, and format-1 numbers round-trip', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0x3f }), fc.integer({ min: 1, max: 15 }), (base, n) => {
        const code = 0x080 | base;
        expect(decodeRc(rcP(code, n))).toMatchObject({ format: 'format-1', parameter: n, base: code });
        if (n <= 7) expect(decodeRc(rcH(code, n))).toMatchObject({ handle: n, base: code });
        if (n <= 7) expect(decodeRc(rcS(code, n))).toMatchObject({ session: n, base: code });
      }),
    );
    fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (v) => typeof rcName(v) === 'string'));
  });
});

describe('TPM structures', () => {
  it('marshals the templates and reads them back unchanged', () => {
    for (const t of [eccStorage(), rsaStorage(), eccSigning(), rsaSigning(ALG.RSASSA), sealed()]) {
      const bytes = marshalPublic(t);
      const back = readPublic(new TpmReader(bytes, 'public'));
      expect(hex(marshalPublic(back))).toBe(hex(bytes));
    }
  });

  it('marshals the ECC storage template as tpm2-tools writes it (hand vector)', () => {
    // type ECC, nameAlg SHA-256, attributes 0x00030472, empty policy, AES-128-CFB,
    // scheme NULL, curve P-256, kdf NULL, unique x and y empty
    expect(hex(marshalPublic(eccStorage()))).toBe('0023000b00030472000000060080004300100003001000000000');
  });

  it('computes NV names over the public area, WRITTEN included', () => {
    const pub: NvPublic = { nvIndex: 0x01500000, nameAlg: ALG.SHA256, attributes: TPMA_NV.OWNERWRITE | TPMA_NV.OWNERREAD, authPolicy: new Uint8Array(0), dataSize: 8 };
    const bytes = marshalNvPublic(pub);
    expect(hex(bytes)).toBe('01500000000b0002000200000008');
    const want = '000b' + createHash('sha256').update(bytes).digest('hex');
    expect(hex(nvName(pub))).toBe(want);
    expect(hex(computeName(ALG.SHA256, bytes))).toBe(want);
    const written = nvName({ ...pub, attributes: pub.attributes | TPMA_NV.WRITTEN });
    expect(hex(written)).not.toBe(want);
  });

  it('rejects NV public areas the way the TPM does (VALUE for a non-NV handle, SIZE over the index limit)', () => {
    const bad = marshalNvPublic({ nvIndex: 0x81000000, nameAlg: ALG.SHA256, attributes: 0x20002, authPolicy: new Uint8Array(0), dataSize: 8 });
    expect(() => readNvPublic(new TpmReader(bad, 'p'))).toThrow(expect.objectContaining({ rc: RC.VALUE }));
    const big = marshalNvPublic({ nvIndex: 0x01000000, nameAlg: ALG.SHA256, attributes: 0x20002, authPolicy: new Uint8Array(0), dataSize: 2049 });
    expect(() => readNvPublic(new TpmReader(big, 'p'), 'publicInfo', 2048)).toThrow(expect.objectContaining({ rc: RC.SIZE }));
  });

  it('round-trips PCR selections', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ hash: fc.constantFrom(ALG.SHA1, ALG.SHA256, ALG.SHA384), select: fc.uint8Array({ minLength: 3, maxLength: 3 }) }), { maxLength: 4 }), (sels) => {
        const w = new TpmWriter();
        writePcrSelections(w, sels);
        const back = readPcrSelections(new TpmReader(w.finish(), 's'));
        expect(back.map((s) => [s.hash, hex(s.select)])).toEqual(sels.map((s) => [s.hash, hex(s.select)]));
      }),
    );
  });

  it('encodes commands and decodes responses with sessions', () => {
    const cmd = encodeCommand({ cc: CC.GetRandom, handles: [], sessions: [], params: new TpmWriter().u16(16).finish() });
    expect(hex(cmd)).toBe('80010000000c0000017b0010');
    expect(decodeHeader(cmd)).toMatchObject({ tag: 0x8001, size: 12, code: CC.GetRandom });
    expect(hex(errorResponse(0x9a2))).toBe('80010000000a000009a2');
    // PCR_Extend-like response with one password session: parameterSize 0, {nonce 0, attrs 1, hmac 0}
    const resp = fromHex('80020000001300000000' + '00000000' + '0000' + '01' + '0000');
    const d = decodeResponse(resp, CC.PCR_Extend, 0, 1);
    expect(d.rc).toBe(0);
    expect(d.sessions).toHaveLength(1);
    expect(d.sessions[0]!.attributes).toBe(1);
  });

  it('grows the writer for every field type (regression: RangeError when a field crossed the buffer end)', () => {
    const w = new Writer(1);
    w.u8(1);
    w.u16be(0x0203);
    w.u32be(0x04050607);
    w.u64be(0x08090a0b0c0d0e0fn);
    w.bytes(new Uint8Array(300).fill(0xaa));
    const out = w.finish();
    expect(out.length).toBe(1 + 2 + 4 + 8 + 300);
    expect(hex(out.subarray(0, 15))).toBe('0102030405060708090a0b0c0d0e0f');
  });
});

describe('authorization computations', () => {
  const nonceTPM = Uint8Array.from({ length: 32 }, (_, i) => i);
  const nonceCaller = Uint8Array.from({ length: 32 }, (_, i) => 0xff - i);

  /** KDFa as Part 1 defines it, written against node:crypto. */
  function kdfaOracle(key: Uint8Array, lbl: string, u: Uint8Array, v: Uint8Array, bits: number): string {
    const out: Buffer[] = [];
    for (let i = 1; out.length * 32 < bits / 8; i++) {
      out.push(createHmac('sha256', key).update(be32(i)).update(Buffer.from(lbl + '\0')).update(u).update(v).update(be32(bits)).digest());
    }
    return Buffer.concat(out).subarray(0, bits / 8).toString('hex');
  }

  it('KDFa matches the SP800-108 counter-mode definition', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 32 }), fc.integer({ min: 1, max: 40 }), (key, u, n) => {
        expect(hex(kdfa(ALG.SHA256, key, 'ATH', u, nonceCaller, n * 8))).toBe(kdfaOracle(key, 'ATH', u, nonceCaller, n * 8));
      }),
      { numRuns: 50 },
    );
  });

  it('KDFe matches the SP800-56A concatenation KDF', () => {
    const z = new Uint8Array(32).fill(7);
    const want = createHash('sha256').update(be32(1)).update(z).update(Buffer.from('SECRET\0')).update(nonceTPM).update(nonceCaller).digest('hex');
    expect(hex(kdfe(ALG.SHA256, z, 'SECRET', nonceTPM, nonceCaller, 256))).toBe(want);
  });

  it('cpHash, rpHash and the session HMACs follow Part 1, 19.6', () => {
    const params = fromHex('0010');
    const names = [fromHex('40000001')];
    const cp = createHash('sha256').update(be32(CC.GetRandom)).update(names[0]!).update(params).digest();
    expect(hex(cpHash(ALG.SHA256, CC.GetRandom, names, params))).toBe(cp.toString('hex'));
    const rp = createHash('sha256').update(be32(0)).update(be32(CC.GetRandom)).update(params).digest();
    expect(hex(rpHash(ALG.SHA256, 0, CC.GetRandom, params))).toBe(rp.toString('hex'));
    const key = new Uint8Array([1, 2, 3]);
    const ch = createHmac('sha256', key).update(cp).update(nonceCaller).update(nonceTPM).update(Buffer.from([1])).digest('hex');
    expect(hex(commandHmac(ALG.SHA256, key, cp, nonceCaller, nonceTPM, 1))).toBe(ch);
    const rh = createHmac('sha256', key).update(rp).update(nonceTPM).update(nonceCaller).update(Buffer.from([1])).digest('hex');
    expect(hex(responseHmac(ALG.SHA256, key, rp, nonceTPM, nonceCaller, 1))).toBe(rh);
  });

  it('an unbound, unsalted session has an empty key; a bound one KDFa(bindAuth, "ATH")', () => {
    expect(sessionKey(ALG.SHA256, false, new Uint8Array(0), nonceTPM, nonceCaller)).toHaveLength(0);
    const bind = new Uint8Array([0x61, 0x62]);
    expect(hex(sessionKey(ALG.SHA256, true, bind, nonceTPM, nonceCaller))).toBe(kdfaOracle(bind, 'ATH', nonceTPM, nonceCaller, 256));
    expect(hex(stripZeros(new Uint8Array([1, 0, 2, 0, 0])))).toBe('010002');
  });

  it('policy digests match published values (PolicyAuthValue = 8fcd2169…)', () => {
    expect(hex(policyAuthValue(ALG.SHA256, zeroDigest(ALG.SHA256)))).toBe('8fcd2169ab92694e0c633f1ab772842b8241bbc20288981fc7ac1eddc1fddb0e');
    const want = createHash('sha256').update(Buffer.alloc(32)).update(be32(CC.PolicyCommandCode)).update(be32(CC.Unseal)).digest('hex');
    expect(hex(policyCommandCode(ALG.SHA256, zeroDigest(ALG.SHA256), CC.Unseal))).toBe(want);
  });

  it('CFB parameter encryption is AES-128-CFB keyed by KDFa(…"CFB"…), and XOR is the KDFa mask', () => {
    const key = new Uint8Array([9, 9, 9]);
    const data = Uint8Array.from({ length: 40 }, (_, i) => i * 3);
    const kiv = Buffer.from(kdfaOracle(key, 'CFB', nonceCaller, nonceTPM, 256), 'hex');
    const c = createCipheriv('aes-128-cfb', kiv.subarray(0, 16), kiv.subarray(16, 32));
    const want = Buffer.concat([c.update(data), c.final()]).toString('hex');
    const enc = cryptParameter({ algorithm: ALG.AES, keyBits: 128 }, ALG.SHA256, key, nonceCaller, nonceTPM, data, true);
    expect(hex(enc)).toBe(want);
    expect(hex(cryptParameter({ algorithm: ALG.AES, keyBits: 128 }, ALG.SHA256, key, nonceCaller, nonceTPM, enc, false))).toBe(hex(data));
    const xored = cryptParameter({ algorithm: ALG.XOR, keyBits: ALG.SHA256 }, ALG.SHA256, key, nonceCaller, nonceTPM, data, true);
    const mask = Buffer.from(kdfaOracle(key, 'XOR', nonceCaller, nonceTPM, data.length * 8), 'hex');
    expect(hex(xored)).toBe(hex(data.map((b, i) => b ^ mask[i]!)));
  });
});
