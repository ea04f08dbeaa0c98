// The Trusted Services packed-c crypto protocol at the byte level:
// malformed requests are refused without effect, unknown TLV records are
// skipped, answers have the packed layout, handles of one operation kind
// are not valid for another, and the service keeps answering whatever
// bytes arrive.
import fc from 'fast-check';
import { PSA, psaStatusName } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { ATTRIBUTES_SIZE, REQUEST, encodeRequest, encodeTlv, requestFixedSize, writeAttributes } from '../../protocol/psa/crypto/codec.js';
import { cryptoOpcodeName } from '../../protocol/psa/crypto/names.js';
import { Writer, concat, hex } from '../../protocol/bytes.js';
import { TransportError } from '../../transports/types.js';
import { check, checkProp } from '../harness/check.js';
import type { CheckContext, CheckDef } from '../harness/types.js';
import { algCap, keyCap } from './caps.js';
import { Alg, KeyType, TS_PROTO, TS_SPEC, Usage, client, expectPsa, importKey, pattern, supported } from './common.js';
import * as O from './oracle.js';

const { CryptoOpcode: Op } = C;

/** Sends a raw request that must be refused; returns how it was refused. */
async function expectRejected(t: CheckContext, opcode: number, body: Uint8Array, what: string): Promise<string> {
  try {
    const r = await client(t).raw(opcode, body, `${cryptoOpcodeName(opcode)} ${what} [${body.length} bytes]`);
    if (r.status === PSA.SUCCESS) {
      t.fail(`${what}: the malformed request was accepted`, { expected: 'an error status', actual: `PSA_SUCCESS with ${r.body.length} byte(s): ${hex(r.body, 32)}` });
    }
    return psaStatusName(r.status);
  } catch (e) {
    if (e instanceof TransportError && e.kind === 'remote') return 'an envelope error frame';
    throw e;
  }
}

async function stillServes(t: CheckContext): Promise<void> {
  const r = await client(t).hashCompute(Alg.SHA_256, pattern(5, 700));
  expectPsa(t, r.status, PSA.SUCCESS, `a well-formed psa_hash_compute afterwards (at ${r.step})`);
  t.expectBytes(r.value!, O.hash(Alg.SHA_256, pattern(5, 700)), 'hash afterwards');
}

const FIXED_OPCODES = (Object.keys(REQUEST).map(Number) as number[]).filter((op) => (requestFixedSize(op) ?? 0) > 0 && op !== Op.KEY_DERIVATION_INPUT_INTEGER);

/** A SHA-256 hash operation, aborted after the check. */
async function sha256Op(t: CheckContext): Promise<{ value: number }> {
  const c = client(t);
  const s = await c.hashSetup(Alg.SHA_256);
  expectPsa(t, s.status, PSA.SUCCESS, 'psa_hash_setup');
  t.defer(() => c.hashAbort(s.value!));
  return { value: s.value! };
}

export default [
  check({
    id: 'psa-crypto.wire.short-request',
    title: 'requests shorter than their fixed part are refused',
    spec: TS_SPEC,
    clause: TS_PROTO,
    level: 'MUST',
    requirement: 'A request body shorter than the packed _in structure of its opcode (e.g. 23 bytes for import_key, 7 for sign_hash, 3 for hash_update) is refused (the TS providers answer RPC_ERROR_INVALID_REQUEST_BODY) for every opcode, and the service keeps answering.',
    services: ['crypto'],
    run: async (t) => {
      for (const op of FIXED_OPCODES) {
        const n = requestFixedSize(op)! - 1;
        const body = new Uint8Array(n).fill(0x11);
        await expectRejected(t, op, body, `body of ${n} bytes (fixed part ${n + 1})`);
      }
      await stillServes(t);
    },
  }),
  check({
    id: 'psa-crypto.wire.unknown-opcode',
    title: 'an opcode the crypto protocol does not define is refused',
    spec: TS_SPEC,
    clause: 'protocols/service/crypto/packed-c/opcodes.h',
    level: 'MUST',
    requirement: 'Opcodes outside the packed-c crypto set (0x0000, 0x0100, 0x0103, 0x0114, 0x0207, 0x0308, 0x040b, 0x0507, 0x060b, 0x0700, 0xffffffff) are refused, and the service keeps answering.',
    services: ['crypto'],
    run: async (t) => {
      for (const op of [0x0, 0x100, 0x103, 0x114, 0x207, 0x308, 0x40b, 0x507, 0x60b, 0x700, 0xffffffff]) {
        t.note(`opcode 0x${op.toString(16)}: refused with ${await expectRejected(t, op, new Uint8Array(32).fill(1), `opcode 0x${op.toString(16)}`)}`);
      }
      await stillServes(t);
    },
  }),
  check({
    id: 'psa-crypto.wire.truncated-record',
    title: 'a key record that runs past the body does not create a key',
    spec: TS_SPEC,
    clause: TS_PROTO,
    level: 'MUST',
    requirement: 'An import_key request whose DATA record announces 32 bytes with only 10 present must not import anything (a TS provider reads such a record as absent; a stricter one refuses the body): never PSA_SUCCESS, and the service keeps answering.',
    services: ['crypto'],
    run: async (t) => {
      const w = new Writer();
      writeAttributes(w, { type: KeyType.AES, bits: 0, lifetime: 0, id: 0, usage: Usage.EXPORT, alg: 0 });
      w.u16be(1).u16be(32).bytes(pattern(10, 701));
      await expectRejected(t, Op.IMPORT_KEY, w.finish(), 'DATA record of 32 bytes with 10 present');
      await stillServes(t);
    },
  }),
  check({
    id: 'psa-crypto.wire.unknown-record-skipped',
    title: 'TLV records with unknown tags are skipped',
    spec: TS_SPEC,
    clause: 'components/common/tlv/tlv.h',
    level: 'MUST',
    requirement: 'Decoders of the packed-c protocol skip TLV records whose tag they do not know: a hash_update request with an extra record of tag 0x7f after the DATA record is processed as if it were absent.',
    services: ['crypto'],
    capabilities: [algCap(Alg.SHA_256)],
    run: async (t) => {
      const c = client(t);
      const s = await sha256Op(t);
      const data = pattern(20, 702);
      const body = concat(encodeRequest(Op.HASH_UPDATE, { op: s.value!, data }), encodeTlv([{ tag: 0x7f, value: pattern(9, 703) }]));
      const r = await c.raw(Op.HASH_UPDATE, body, 'psa_hash_update with an extra record of tag 0x7f');
      expectPsa(t, r.status, PSA.SUCCESS, 'psa_hash_update with an unknown record');
      const f = await c.hashFinish(s.value!);
      expectPsa(t, f.status, PSA.SUCCESS, 'psa_hash_finish');
      t.expectBytes(f.value!, O.hash(Alg.SHA_256, data), 'hash of the DATA record alone');
    },
  }),
  check({
    id: 'psa-crypto.wire.attributes-layout',
    title: 'the get_key_attributes answer is the packed ts_crypto_key_attributes',
    spec: TS_SPEC,
    clause: 'protocols/service/crypto/packed-c/key_attributes.h',
    level: 'MUST',
    requirement: 'A successful get_key_attributes answers ts_crypto_get_key_attributes_out: exactly 24 bytes, u32 type, key_bits, lifetime, id, usage, alg, little-endian.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.AES)],
    run: async (t) => {
      const id = await importKey(t, { type: KeyType.AES, usage: Usage.ENCRYPT, alg: Alg.CTR }, pattern(24, 704), keyCap(KeyType.AES));
      const r = await client(t).raw(Op.GET_KEY_ATTRIBUTES, new Writer().u32le(id).finish(), 'get_key_attributes (raw)');
      t.expectEqual(r.status, PSA.SUCCESS, 'status', psaStatusName);
      t.expectEqual(r.body.length, ATTRIBUTES_SIZE, 'answer length in bytes');
      const v = new DataView(r.body.buffer, r.body.byteOffset, r.body.byteLength);
      t.expectEqual(v.getUint32(0, true), KeyType.AES, 'type (bytes 0..3)');
      t.expectEqual(v.getUint32(4, true), 192, 'key_bits (bytes 4..7)');
      t.expectEqual(v.getUint32(12, true), id, 'id (bytes 12..15)');
      t.expectEqual(v.getUint32(20, true), Alg.CTR, 'policy.alg (bytes 20..23)');
    },
  }),
  check({
    id: 'psa-crypto.wire.signature-record',
    title: 'a sign_hash answer is one SIGNATURE record',
    spec: TS_SPEC,
    clause: 'protocols/service/crypto/packed-c/sign_hash.h',
    level: 'MUST',
    requirement: 'A successful sign_hash answers one TLV record, tag TS_CRYPTO_SIGN_HASH_OUT_TAG_SIGNATURE (1), big-endian tag and length, holding the 64-byte P-256 signature: 68 bytes in all.',
    services: ['crypto'],
    capabilities: [keyCap(C.eccKeyPair(C.EccFamily.SECP_R1), 256), algCap(C.ecdsa(Alg.SHA_256))],
    run: async (t) => {
      const alg = C.ecdsa(Alg.SHA_256);
      const id = await importKey(t, { type: C.eccKeyPair(C.EccFamily.SECP_R1), usage: Usage.SIGN_HASH, alg }, pattern(32, 705), keyCap(C.eccKeyPair(C.EccFamily.SECP_R1), 256));
      const r = await client(t).raw(Op.SIGN_HASH, encodeRequest(Op.SIGN_HASH, { id, alg, hash: new Uint8Array(32) }), 'sign_hash (raw)');
      supported(t, r.status, algCap(alg), 'sign_hash');
      t.expectEqual(r.status, PSA.SUCCESS, 'status', psaStatusName);
      t.expectEqual(hex(r.body.subarray(0, 4)), '00010040', 'record header (tag 1, length 64)');
      t.expectEqual(r.body.length, 68, 'answer length');
    },
  }),
  check({
    id: 'psa-crypto.wire.handle-kinds',
    title: 'an operation handle is valid only for its kind of operation',
    spec: TS_SPEC,
    clause: 'components/service/crypto/provider/crypto_context_pool.h',
    level: 'MUST',
    requirement: 'Operation contexts are looked up by handle and operation kind: the handle of an active MAC operation used in hash_update or cipher_update answers PSA_ERROR_BAD_STATE, and the MAC operation is unaffected.',
    services: ['crypto'],
    capabilities: [keyCap(KeyType.HMAC), algCap(C.hmac(Alg.SHA_256))],
    run: async (t) => {
      const alg = C.hmac(Alg.SHA_256);
      const keyBytes = pattern(32, 706);
      const id = await importKey(t, { type: KeyType.HMAC, usage: Usage.SIGN_MESSAGE, alg }, keyBytes, keyCap(KeyType.HMAC));
      const c = client(t);
      const m = await c.macSetup(id, alg, true);
      expectPsa(t, m.status, PSA.SUCCESS, 'psa_mac_sign_setup');
      t.defer(() => c.macAbort(m.value!));
      expectPsa(t, await c.hashUpdate(m.value!, pattern(4)), PSA.ERROR_BAD_STATE, 'psa_hash_update with a MAC handle');
      expectPsa(t, (await c.cipherUpdate(m.value!, pattern(16))).status, PSA.ERROR_BAD_STATE, 'psa_cipher_update with a MAC handle');
      expectPsa(t, await c.macUpdate(m.value!, pattern(8, 707)), PSA.SUCCESS, 'psa_mac_update');
      const f = await c.macSignFinish(m.value!);
      expectPsa(t, f.status, PSA.SUCCESS, 'psa_mac_sign_finish');
      t.expectBytes(f.value!, O.hmac(Alg.SHA_256, keyBytes, pattern(8, 707)), 'MAC of the data given to the MAC operation only');
    },
  }),
  check({
    id: 'psa-crypto.wire.largest-record',
    title: 'an update carrying a full 65535-byte record is processed',
    spec: TS_SPEC,
    clause: 'components/common/tlv/tlv.h',
    level: 'MUST',
    requirement: 'A TLV record can carry up to 65535 bytes (16-bit length): a hash_update with the largest record hashes all of it.',
    services: ['crypto'],
    capabilities: [algCap(Alg.SHA_256)],
    run: async (t) => {
      const c = client(t);
      const s = await sha256Op(t);
      const data = pattern(65535, 708);
      expectPsa(t, await c.hashUpdate(s.value!, data), PSA.SUCCESS, 'psa_hash_update(65535 bytes)');
      const f = await c.hashFinish(s.value!);
      expectPsa(t, f.status, PSA.SUCCESS, 'psa_hash_finish');
      t.expectBytes(f.value!, O.hash(Alg.SHA_256, data), 'hash of 65535 bytes');
    },
  }),
  checkProp({
    id: 'psa-crypto.wire.fuzz',
    title: 'generated malformed requests never crash or wedge the service',
    spec: TS_SPEC,
    clause: TS_PROTO,
    level: 'MUST',
    requirement: 'Whatever bytes arrive for any crypto opcode, the service answers with a status and afterwards still serves well-formed requests; a key imported by a fuzzed request is never left behind unnoticed.',
    services: ['crypto'],
    numRuns: 80,
    arbitrary: () =>
      fc.record({
        opcode: fc.oneof(fc.constantFrom(...(Object.keys(REQUEST).map(Number) as number[])), fc.integer({ min: 0, max: 0xffff })),
        body: fc.uint8Array({ maxLength: 64 }),
      }),
    predicate: async (t, { opcode, body }) => {
      const what = `${cryptoOpcodeName(opcode)} with ${body.length} byte(s) ${hex(body, 64)}`;
      // never let the fuzz create persistent keys: clear the lifetime of attribute structures
      const b = body.slice();
      if ([Op.IMPORT_KEY, Op.GENERATE_KEY].includes(opcode as never) && b.length >= 12) b.fill(0, 8, 16);
      if ([Op.COPY_KEY, Op.KEY_DERIVATION_OUTPUT_KEY].includes(opcode as never) && b.length >= 16) b.fill(0, 12, 20);
      try {
        const r = await client(t).raw(opcode, b, `crypto fuzz ${what}`);
        if (r.status === PSA.SUCCESS && [Op.IMPORT_KEY, Op.GENERATE_KEY, Op.COPY_KEY, Op.KEY_DERIVATION_OUTPUT_KEY].includes(opcode as never) && r.body.length >= 4) {
          await client(t).destroyKey(new DataView(r.body.buffer, r.body.byteOffset).getUint32(0, true));
        }
      } catch (e) {
        if (e instanceof TransportError && e.kind === 'remote') return;
        if (e instanceof TransportError && (e.kind === 'timeout' || e.kind === 'disconnected')) {
          t.fail(`${what}: the target stopped answering (${e.message})`, { expected: 'an answer', actual: e.kind });
        }
        throw e;
      }
      await stillServes(t);
    },
  }),
] satisfies CheckDef[];
