// Typed calls for PSA Crypto over the Trusted Services packed-c protocol:
// encode -> channel.call -> decode. Statuses are returned, never thrown;
// only transport failures (and answers that cannot be decoded) throw.
//
// The packed-c protocol has no opcode for the single-part functions
// psa_hash_compute/compare, psa_mac_compute/verify, psa_cipher_encrypt/
// decrypt and psa_aead_encrypt/decrypt: Trusted Services' client library
// (components/service/crypto/client/psa/psa_*.c) composes them from the
// multi-part calls, and so does this client (`*Compute`, `*Encrypt`, ...).
import * as C from '../protocol/psa/crypto/constants.js';
import {
  decodeResponse,
  encodeRequest,
  type KeyAttributes,
  type Request,
  type RequestOpcode,
  type Response,
} from '../protocol/psa/crypto/codec.js';
import { algName, cryptoOpcodeName, keyIdName, keyTypeName, lifetimeName, stepName, usageName } from '../protocol/psa/crypto/names.js';
import { PSA, psaStatusSymbol } from '../protocol/psa/status.js';
import { concat } from '../protocol/bytes.js';
import type { Channel, ServiceResponse } from '../transports/types.js';
import { decodeAnswer } from './common.js';

const { CryptoOpcode: Op } = C;

/** Largest data chunk one update carries in the composed single-part functions (TS max_update_size order). */
export const UPDATE_CHUNK = 4096;

export interface Attrs {
  type: number;
  bits?: number;
  lifetime?: number;
  id?: number;
  usage?: number;
  alg?: number;
}

export function attributes(a: Attrs): KeyAttributes {
  return { type: a.type, bits: a.bits ?? 0, lifetime: a.lifetime ?? 0, id: a.id ?? 0, usage: a.usage ?? 0, alg: a.alg ?? 0 };
}

export function attrsLabel(a: KeyAttributes): string {
  const parts = [`type=${keyTypeName(a.type)}`, `bits=${a.bits}`, `usage=${usageName(a.usage)}`, `alg=${algName(a.alg)}`];
  if (a.lifetime !== 0 || a.id !== 0) parts.push(`lifetime=${lifetimeName(a.lifetime)}`, `id=${keyIdName(a.id)}`);
  return parts.join(', ');
}

export interface Result<T> {
  status: number;
  /** Set when status is PSA_SUCCESS. */
  value?: T;
}

/** The outcome of a composed single-part call: which multi-part step answered what. */
export interface Composite<T> extends Result<T> {
  /** The PSA function whose status this is (e.g. `psa_aead_set_nonce`). */
  step: string;
}

export class CryptoClient {
  constructor(readonly channel: Channel) {}

  raw(opcode: number, body: Uint8Array, label?: string): Promise<ServiceResponse> {
    return this.channel.call(opcode, body, { label: label ?? `${cryptoOpcodeName(opcode)} (raw, ${body.length} bytes)` });
  }

  /** One request; decodes the answer on success. */
  async call<O extends RequestOpcode>(opcode: O, req: Partial<Request<O>>, label: string): Promise<Result<Response<O>>> {
    const r = await this.channel.call(opcode, encodeRequest(opcode, req), { label });
    if (r.status !== PSA.SUCCESS) return { status: r.status };
    return { status: r.status, value: decodeAnswer(label, () => decodeResponse(opcode, r.body)) };
  }

  private async status<O extends RequestOpcode>(opcode: O, req: Partial<Request<O>>, label: string): Promise<number> {
    return (await this.call(opcode, req, label)).status;
  }

  // ---------------------------------------------------------- key management

  async importKey(a: Attrs, data: Uint8Array): Promise<Result<number>> {
    const attrs = attributes(a);
    const r = await this.call(Op.IMPORT_KEY, { attributes: attrs, data }, `psa_import_key(${attrsLabel(attrs)}, data_length=${data.length})`);
    return { status: r.status, value: r.value?.id };
  }

  async generateKey(a: Attrs): Promise<Result<number>> {
    const attrs = attributes(a);
    const r = await this.call(Op.GENERATE_KEY, { attributes: attrs }, `psa_generate_key(${attrsLabel(attrs)})`);
    return { status: r.status, value: r.value?.id };
  }

  async copyKey(source: number, a: Attrs): Promise<Result<number>> {
    const attrs = attributes(a);
    const r = await this.call(Op.COPY_KEY, { source, attributes: attrs }, `psa_copy_key(source_key=${keyIdName(source)}, ${attrsLabel(attrs)})`);
    return { status: r.status, value: r.value?.id };
  }

  destroyKey(id: number): Promise<number> {
    return this.status(Op.DESTROY_KEY, { id }, `psa_destroy_key(key=${keyIdName(id)})`);
  }

  purgeKey(id: number): Promise<number> {
    return this.status(Op.PURGE_KEY, { id }, `psa_purge_key(key=${keyIdName(id)})`);
  }

  async getAttributes(id: number): Promise<Result<KeyAttributes>> {
    const r = await this.call(Op.GET_KEY_ATTRIBUTES, { id }, `psa_get_key_attributes(key=${keyIdName(id)})`);
    return { status: r.status, value: r.value?.attributes };
  }

  async exportKey(id: number): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.EXPORT_KEY, { id }, `psa_export_key(key=${keyIdName(id)})`);
    return { status: r.status, value: r.value?.data };
  }

  async exportPublicKey(id: number): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.EXPORT_PUBLIC_KEY, { id }, `psa_export_public_key(key=${keyIdName(id)})`);
    return { status: r.status, value: r.value?.data };
  }

  // ---------------------------------------------------------- signatures, asymmetric encryption, random

  async signHash(id: number, alg: number, hash: Uint8Array): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.SIGN_HASH, { id, alg, hash }, `psa_sign_hash(key=${keyIdName(id)}, alg=${algName(alg)}, hash_length=${hash.length})`);
    return { status: r.status, value: r.value?.signature };
  }

  verifyHash(id: number, alg: number, hash: Uint8Array, signature: Uint8Array): Promise<number> {
    return this.status(
      Op.VERIFY_HASH,
      { id, alg, hash, signature },
      `psa_verify_hash(key=${keyIdName(id)}, alg=${algName(alg)}, hash_length=${hash.length}, signature_length=${signature.length})`,
    );
  }

  async signMessage(id: number, alg: number, message: Uint8Array): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.SIGN_MESSAGE, { id, alg, hash: message }, `psa_sign_message(key=${keyIdName(id)}, alg=${algName(alg)}, input_length=${message.length})`);
    return { status: r.status, value: r.value?.signature };
  }

  verifyMessage(id: number, alg: number, message: Uint8Array, signature: Uint8Array): Promise<number> {
    return this.status(
      Op.VERIFY_MESSAGE,
      { id, alg, hash: message, signature },
      `psa_verify_message(key=${keyIdName(id)}, alg=${algName(alg)}, input_length=${message.length}, signature_length=${signature.length})`,
    );
  }

  async asymmetricEncrypt(id: number, alg: number, input: Uint8Array, salt: Uint8Array = new Uint8Array(0)): Promise<Result<Uint8Array>> {
    const r = await this.call(
      Op.ASYMMETRIC_ENCRYPT,
      { id, alg, input, salt: salt.length ? salt : undefined },
      `psa_asymmetric_encrypt(key=${keyIdName(id)}, alg=${algName(alg)}, input_length=${input.length}, salt_length=${salt.length})`,
    );
    return { status: r.status, value: r.value?.output };
  }

  async asymmetricDecrypt(id: number, alg: number, input: Uint8Array, salt: Uint8Array = new Uint8Array(0)): Promise<Result<Uint8Array>> {
    const r = await this.call(
      Op.ASYMMETRIC_DECRYPT,
      { id, alg, input, salt: salt.length ? salt : undefined },
      `psa_asymmetric_decrypt(key=${keyIdName(id)}, alg=${algName(alg)}, input_length=${input.length}, salt_length=${salt.length})`,
    );
    return { status: r.status, value: r.value?.output };
  }

  async generateRandom(size: number): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.GENERATE_RANDOM, { size }, `psa_generate_random(output_size=${size})`);
    return { status: r.status, value: r.value?.data };
  }

  // ---------------------------------------------------------- hash

  async hashSetup(alg: number): Promise<Result<number>> {
    const r = await this.call(Op.HASH_SETUP, { alg }, `psa_hash_setup(alg=${algName(alg)})`);
    return { status: r.status, value: r.value?.op };
  }
  hashUpdate(op: number, data: Uint8Array): Promise<number> {
    return this.status(Op.HASH_UPDATE, { op, data }, `psa_hash_update(op=${op}, input_length=${data.length})`);
  }
  async hashFinish(op: number): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.HASH_FINISH, { op }, `psa_hash_finish(op=${op})`);
    return { status: r.status, value: r.value?.hash };
  }
  hashVerify(op: number, hash: Uint8Array): Promise<number> {
    return this.status(Op.HASH_VERIFY, { op, hash }, `psa_hash_verify(op=${op}, hash_length=${hash.length})`);
  }
  hashAbort(op: number): Promise<number> {
    return this.status(Op.HASH_ABORT, { op }, `psa_hash_abort(op=${op})`);
  }
  async hashClone(op: number): Promise<Result<number>> {
    const r = await this.call(Op.HASH_CLONE, { op }, `psa_hash_clone(source_op=${op})`);
    return { status: r.status, value: r.value?.op };
  }

  // ---------------------------------------------------------- MAC

  async macSetup(id: number, alg: number, sign: boolean): Promise<Result<number>> {
    const opcode = sign ? Op.MAC_SIGN_SETUP : Op.MAC_VERIFY_SETUP;
    const r = await this.call(opcode, { id, alg }, `${cryptoOpcodeName(opcode)}(key=${keyIdName(id)}, alg=${algName(alg)})`);
    return { status: r.status, value: r.value?.op };
  }
  macUpdate(op: number, data: Uint8Array): Promise<number> {
    return this.status(Op.MAC_UPDATE, { op, data }, `psa_mac_update(op=${op}, input_length=${data.length})`);
  }
  async macSignFinish(op: number): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.MAC_SIGN_FINISH, { op }, `psa_mac_sign_finish(op=${op})`);
    return { status: r.status, value: r.value?.mac };
  }
  macVerifyFinish(op: number, mac: Uint8Array): Promise<number> {
    return this.status(Op.MAC_VERIFY_FINISH, { op, mac }, `psa_mac_verify_finish(op=${op}, mac_length=${mac.length})`);
  }
  macAbort(op: number): Promise<number> {
    return this.status(Op.MAC_ABORT, { op }, `psa_mac_abort(op=${op})`);
  }

  // ---------------------------------------------------------- cipher

  async cipherSetup(id: number, alg: number, encrypt: boolean): Promise<Result<number>> {
    const opcode = encrypt ? Op.CIPHER_ENCRYPT_SETUP : Op.CIPHER_DECRYPT_SETUP;
    const r = await this.call(opcode, { id, alg }, `${cryptoOpcodeName(opcode)}(key=${keyIdName(id)}, alg=${algName(alg)})`);
    return { status: r.status, value: r.value?.op };
  }
  async cipherGenerateIv(op: number): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.CIPHER_GENERATE_IV, { op }, `psa_cipher_generate_iv(op=${op})`);
    return { status: r.status, value: r.value?.iv };
  }
  cipherSetIv(op: number, iv: Uint8Array): Promise<number> {
    return this.status(Op.CIPHER_SET_IV, { op, iv }, `psa_cipher_set_iv(op=${op}, iv_length=${iv.length})`);
  }
  async cipherUpdate(op: number, data: Uint8Array): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.CIPHER_UPDATE, { op, data }, `psa_cipher_update(op=${op}, input_length=${data.length})`);
    return { status: r.status, value: r.value?.data };
  }
  async cipherFinish(op: number): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.CIPHER_FINISH, { op }, `psa_cipher_finish(op=${op})`);
    return { status: r.status, value: r.value?.data };
  }
  cipherAbort(op: number): Promise<number> {
    return this.status(Op.CIPHER_ABORT, { op }, `psa_cipher_abort(op=${op})`);
  }

  // ---------------------------------------------------------- AEAD

  async aeadSetup(id: number, alg: number, encrypt: boolean): Promise<Result<number>> {
    const opcode = encrypt ? Op.AEAD_ENCRYPT_SETUP : Op.AEAD_DECRYPT_SETUP;
    const r = await this.call(opcode, { id, alg }, `${cryptoOpcodeName(opcode)}(key=${keyIdName(id)}, alg=${algName(alg)})`);
    return { status: r.status, value: r.value?.op };
  }
  async aeadGenerateNonce(op: number): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.AEAD_GENERATE_NONCE, { op }, `psa_aead_generate_nonce(op=${op})`);
    return { status: r.status, value: r.value?.nonce };
  }
  aeadSetNonce(op: number, nonce: Uint8Array): Promise<number> {
    return this.status(Op.AEAD_SET_NONCE, { op, nonce }, `psa_aead_set_nonce(op=${op}, nonce_length=${nonce.length})`);
  }
  aeadSetLengths(op: number, adLength: number, plaintextLength: number): Promise<number> {
    return this.status(
      Op.AEAD_SET_LENGTHS,
      { op, adLength, plaintextLength },
      `psa_aead_set_lengths(op=${op}, ad_length=${adLength}, plaintext_length=${plaintextLength})`,
    );
  }
  aeadUpdateAd(op: number, data: Uint8Array): Promise<number> {
    return this.status(Op.AEAD_UPDATE_AD, { op, data }, `psa_aead_update_ad(op=${op}, input_length=${data.length})`);
  }
  async aeadUpdate(op: number, data: Uint8Array): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.AEAD_UPDATE, { op, data }, `psa_aead_update(op=${op}, input_length=${data.length})`);
    return { status: r.status, value: r.value?.data };
  }
  async aeadFinish(op: number): Promise<Result<{ ciphertext: Uint8Array; tag: Uint8Array }>> {
    const r = await this.call(Op.AEAD_FINISH, { op }, `psa_aead_finish(op=${op})`);
    return { status: r.status, value: r.value };
  }
  async aeadVerify(op: number, tag: Uint8Array): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.AEAD_VERIFY, { op, tag }, `psa_aead_verify(op=${op}, tag_length=${tag.length})`);
    return { status: r.status, value: r.value?.plaintext };
  }
  aeadAbort(op: number): Promise<number> {
    return this.status(Op.AEAD_ABORT, { op }, `psa_aead_abort(op=${op})`);
  }

  // ---------------------------------------------------------- key derivation and agreement

  async kdfSetup(alg: number): Promise<Result<number>> {
    const r = await this.call(Op.KEY_DERIVATION_SETUP, { alg }, `psa_key_derivation_setup(alg=${algName(alg)})`);
    return { status: r.status, value: r.value?.op };
  }
  async kdfGetCapacity(op: number): Promise<Result<number>> {
    const r = await this.call(Op.KEY_DERIVATION_GET_CAPACITY, { op }, `psa_key_derivation_get_capacity(op=${op})`);
    return { status: r.status, value: r.value?.capacity };
  }
  kdfSetCapacity(op: number, capacity: number): Promise<number> {
    return this.status(Op.KEY_DERIVATION_SET_CAPACITY, { op, capacity }, `psa_key_derivation_set_capacity(op=${op}, capacity=${capacity})`);
  }
  kdfInputBytes(op: number, step: number, data: Uint8Array): Promise<number> {
    return this.status(Op.KEY_DERIVATION_INPUT_BYTES, { op, step, data }, `psa_key_derivation_input_bytes(op=${op}, step=${stepName(step)}, data_length=${data.length})`);
  }
  kdfInputInteger(op: number, step: number, value: bigint): Promise<number> {
    return this.status(Op.KEY_DERIVATION_INPUT_INTEGER, { op, step, value }, `psa_key_derivation_input_integer(op=${op}, step=${stepName(step)}, value=${value})`);
  }
  kdfInputKey(op: number, step: number, id: number): Promise<number> {
    return this.status(Op.KEY_DERIVATION_INPUT_KEY, { op, step, id }, `psa_key_derivation_input_key(op=${op}, step=${stepName(step)}, key=${keyIdName(id)})`);
  }
  async kdfOutputBytes(op: number, length: number): Promise<Result<Uint8Array>> {
    const r = await this.call(Op.KEY_DERIVATION_OUTPUT_BYTES, { op, length }, `psa_key_derivation_output_bytes(op=${op}, output_length=${length})`);
    return { status: r.status, value: r.value?.data };
  }
  async kdfOutputKey(op: number, a: Attrs): Promise<Result<number>> {
    const attrs = attributes(a);
    const r = await this.call(Op.KEY_DERIVATION_OUTPUT_KEY, { op, attributes: attrs }, `psa_key_derivation_output_key(op=${op}, ${attrsLabel(attrs)})`);
    return { status: r.status, value: r.value?.id };
  }
  kdfAbort(op: number): Promise<number> {
    return this.status(Op.KEY_DERIVATION_ABORT, { op }, `psa_key_derivation_abort(op=${op})`);
  }
  kdfKeyAgreement(op: number, step: number, id: number, peer: Uint8Array): Promise<number> {
    return this.status(
      Op.KEY_DERIVATION_KEY_AGREEMENT,
      { op, step, id, peer },
      `psa_key_derivation_key_agreement(op=${op}, step=${stepName(step)}, private_key=${keyIdName(id)}, peer_key_length=${peer.length})`,
    );
  }
  async rawKeyAgreement(alg: number, id: number, peer: Uint8Array): Promise<Result<Uint8Array>> {
    const r = await this.call(
      Op.KEY_DERIVATION_RAW_KEY_AGREEMENT,
      { alg, id, peer },
      `psa_raw_key_agreement(alg=${algName(alg)}, private_key=${keyIdName(id)}, peer_key_length=${peer.length})`,
    );
    return { status: r.status, value: r.value?.output };
  }

  // ---------------------------------------------------------- single-part functions composed of multi-part calls

  private async chunked(data: Uint8Array, each: (chunk: Uint8Array) => Promise<number>): Promise<number> {
    for (let i = 0; i < data.length || i === 0; i += UPDATE_CHUNK) {
      const s = await each(data.subarray(i, i + UPDATE_CHUNK));
      if (s !== PSA.SUCCESS) return s;
      if (data.length === 0) break;
    }
    return PSA.SUCCESS;
  }

  /** psa_hash_compute as setup, update..., finish. */
  async hashCompute(alg: number, input: Uint8Array): Promise<Composite<Uint8Array>> {
    const s = await this.hashSetup(alg);
    if (s.status !== PSA.SUCCESS) return { status: s.status, step: 'psa_hash_setup' };
    const op = s.value!;
    const u = await this.chunked(input, (c) => this.hashUpdate(op, c));
    if (u !== PSA.SUCCESS) {
      await this.hashAbort(op);
      return { status: u, step: 'psa_hash_update' };
    }
    const f = await this.hashFinish(op);
    if (f.status !== PSA.SUCCESS) await this.hashAbort(op);
    return { ...f, step: 'psa_hash_finish' };
  }

  /** psa_mac_compute as sign_setup, update..., sign_finish. */
  async macCompute(id: number, alg: number, input: Uint8Array): Promise<Composite<Uint8Array>> {
    const s = await this.macSetup(id, alg, true);
    if (s.status !== PSA.SUCCESS) return { status: s.status, step: 'psa_mac_sign_setup' };
    const op = s.value!;
    const u = await this.chunked(input, (c) => this.macUpdate(op, c));
    if (u !== PSA.SUCCESS) {
      await this.macAbort(op);
      return { status: u, step: 'psa_mac_update' };
    }
    const f = await this.macSignFinish(op);
    if (f.status !== PSA.SUCCESS) await this.macAbort(op);
    return { ...f, step: 'psa_mac_sign_finish' };
  }

  /** psa_mac_verify as verify_setup, update..., verify_finish. */
  async macVerify(id: number, alg: number, input: Uint8Array, mac: Uint8Array): Promise<Composite<void>> {
    const s = await this.macSetup(id, alg, false);
    if (s.status !== PSA.SUCCESS) return { status: s.status, step: 'psa_mac_verify_setup' };
    const op = s.value!;
    const u = await this.chunked(input, (c) => this.macUpdate(op, c));
    if (u !== PSA.SUCCESS) {
      await this.macAbort(op);
      return { status: u, step: 'psa_mac_update' };
    }
    const f = await this.macVerifyFinish(op, mac);
    if (f !== PSA.SUCCESS) await this.macAbort(op);
    return { status: f, step: 'psa_mac_verify_finish' };
  }

  /**
   * psa_cipher_encrypt: setup, generate_iv (when the algorithm uses one),
   * update..., finish; the output is the IV followed by the ciphertext.
   * `iv` given: set_iv instead of generate_iv (a multi-part encryption with a chosen IV).
   */
  async cipherEncrypt(id: number, alg: number, input: Uint8Array, ivLength: number, iv?: Uint8Array): Promise<Composite<Uint8Array>> {
    const s = await this.cipherSetup(id, alg, true);
    if (s.status !== PSA.SUCCESS) return { status: s.status, step: 'psa_cipher_encrypt_setup' };
    const op = s.value!;
    let ivOut: Uint8Array = new Uint8Array(0);
    if (iv) {
      const v = await this.cipherSetIv(op, iv);
      if (v !== PSA.SUCCESS) {
        await this.cipherAbort(op);
        return { status: v, step: 'psa_cipher_set_iv' };
      }
      ivOut = iv;
    } else if (ivLength > 0) {
      const g = await this.cipherGenerateIv(op);
      if (g.status !== PSA.SUCCESS) {
        await this.cipherAbort(op);
        return { status: g.status, step: 'psa_cipher_generate_iv' };
      }
      ivOut = g.value!;
    }
    return this.cipherRun(op, input, ivOut);
  }

  /** psa_cipher_decrypt: setup, set_iv with the first `ivLength` bytes, update..., finish. */
  async cipherDecrypt(id: number, alg: number, input: Uint8Array, ivLength: number): Promise<Composite<Uint8Array>> {
    const s = await this.cipherSetup(id, alg, false);
    if (s.status !== PSA.SUCCESS) return { status: s.status, step: 'psa_cipher_decrypt_setup' };
    const op = s.value!;
    if (ivLength > 0) {
      const v = await this.cipherSetIv(op, input.subarray(0, ivLength));
      if (v !== PSA.SUCCESS) {
        await this.cipherAbort(op);
        return { status: v, step: 'psa_cipher_set_iv' };
      }
    }
    return this.cipherRun(op, input.subarray(ivLength), new Uint8Array(0));
  }

  private async cipherRun(op: number, input: Uint8Array, prefix: Uint8Array): Promise<Composite<Uint8Array>> {
    const parts: Uint8Array[] = [prefix];
    for (let i = 0; i < input.length; i += UPDATE_CHUNK) {
      const u = await this.cipherUpdate(op, input.subarray(i, i + UPDATE_CHUNK));
      if (u.status !== PSA.SUCCESS) {
        await this.cipherAbort(op);
        return { status: u.status, step: 'psa_cipher_update' };
      }
      parts.push(u.value!);
    }
    const f = await this.cipherFinish(op);
    if (f.status !== PSA.SUCCESS) {
      await this.cipherAbort(op);
      return { status: f.status, step: 'psa_cipher_finish' };
    }
    parts.push(f.value!);
    return { status: PSA.SUCCESS, value: concat(...parts), step: 'psa_cipher_finish' };
  }

  /**
   * psa_aead_encrypt as TS composes it: setup, set_lengths, set_nonce,
   * update_ad..., update..., finish; the output is the ciphertext followed by the tag.
   */
  async aeadEncrypt(id: number, alg: number, nonce: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Promise<Composite<Uint8Array>> {
    const s = await this.aeadSetup(id, alg, true);
    if (s.status !== PSA.SUCCESS) return { status: s.status, step: 'psa_aead_encrypt_setup' };
    const op = s.value!;
    const fail = async (status: number, step: string): Promise<Composite<Uint8Array>> => {
      await this.aeadAbort(op);
      return { status, step };
    };
    let st = await this.aeadSetLengths(op, ad.length, plaintext.length);
    if (st !== PSA.SUCCESS) return fail(st, 'psa_aead_set_lengths');
    st = await this.aeadSetNonce(op, nonce);
    if (st !== PSA.SUCCESS) return fail(st, 'psa_aead_set_nonce');
    for (let i = 0; i < ad.length; i += UPDATE_CHUNK) {
      st = await this.aeadUpdateAd(op, ad.subarray(i, i + UPDATE_CHUNK));
      if (st !== PSA.SUCCESS) return fail(st, 'psa_aead_update_ad');
    }
    const parts: Uint8Array[] = [];
    for (let i = 0; i < plaintext.length; i += UPDATE_CHUNK) {
      const u = await this.aeadUpdate(op, plaintext.subarray(i, i + UPDATE_CHUNK));
      if (u.status !== PSA.SUCCESS) return fail(u.status, 'psa_aead_update');
      parts.push(u.value!);
    }
    const f = await this.aeadFinish(op);
    if (f.status !== PSA.SUCCESS) return fail(f.status, 'psa_aead_finish');
    return { status: PSA.SUCCESS, value: concat(...parts, f.value!.ciphertext, f.value!.tag), step: 'psa_aead_finish' };
  }

  /** psa_aead_decrypt as TS composes it; the input is the ciphertext followed by a tag of `tagLength` bytes. */
  async aeadDecrypt(id: number, alg: number, nonce: Uint8Array, ad: Uint8Array, input: Uint8Array, tagLength: number): Promise<Composite<Uint8Array>> {
    const s = await this.aeadSetup(id, alg, false);
    if (s.status !== PSA.SUCCESS) return { status: s.status, step: 'psa_aead_decrypt_setup' };
    const op = s.value!;
    const fail = async (status: number, step: string): Promise<Composite<Uint8Array>> => {
      await this.aeadAbort(op);
      return { status, step };
    };
    const ctLen = Math.max(0, input.length - tagLength);
    let st = await this.aeadSetLengths(op, ad.length, ctLen);
    if (st !== PSA.SUCCESS) return fail(st, 'psa_aead_set_lengths');
    st = await this.aeadSetNonce(op, nonce);
    if (st !== PSA.SUCCESS) return fail(st, 'psa_aead_set_nonce');
    for (let i = 0; i < ad.length; i += UPDATE_CHUNK) {
      st = await this.aeadUpdateAd(op, ad.subarray(i, i + UPDATE_CHUNK));
      if (st !== PSA.SUCCESS) return fail(st, 'psa_aead_update_ad');
    }
    const parts: Uint8Array[] = [];
    for (let i = 0; i < ctLen; i += UPDATE_CHUNK) {
      const u = await this.aeadUpdate(op, input.subarray(i, Math.min(ctLen, i + UPDATE_CHUNK)));
      if (u.status !== PSA.SUCCESS) return fail(u.status, 'psa_aead_update');
      parts.push(u.value!);
    }
    const v = await this.aeadVerify(op, input.subarray(ctLen));
    if (v.status !== PSA.SUCCESS) return fail(v.status, 'psa_aead_verify');
    return { status: PSA.SUCCESS, value: concat(...parts, v.value!), step: 'psa_aead_verify' };
  }
}

/** `psa_aead_set_nonce answered PSA_ERROR_INVALID_ARGUMENT` for messages. */
export function compositeWhat<T>(c: Composite<T>): string {
  return `${c.step} answered ${psaStatusSymbol(c.status)}`;
}
