// The reference key store: volatile keys in memory (lost at reboot),
// persistent keys in the reference ITS (partition "crypto"), so they
// survive ReferenceStack.reboot() and `fwsec serve --state`. Identifiers
// follow PSA Crypto 1.2.1 §9.4: persistent keys take the application's id
// from the user range; volatile keys get an id from the vendor range.
import { randomInt } from 'node:crypto';
import { DecodeError, Reader, Writer } from '../../protocol/bytes.js';
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { readAttributes, writeAttributes, type KeyAttributes } from '../../protocol/psa/crypto/codec.js';
import { keyIdName, lifetimeName } from '../../protocol/psa/crypto/names.js';
import type { AssetStore } from '../storage/asset-store.js';
import { fail, PsaError } from './errors.js';
import { importMaterial, type KeyMaterial } from './keys.js';
import { effectiveUsage } from './policy.js';

export interface Key {
  attrs: KeyAttributes;
  material: KeyMaterial;
}

const RECORD_MAGIC = 0x46574b31; // "FWK1"

function encodeRecord(k: Key): Uint8Array {
  const w = new Writer(64 + k.material.data.length);
  w.u32be(RECORD_MAGIC);
  writeAttributes(w, k.attrs);
  w.u32le(k.material.data.length).bytes(k.material.data);
  return w.finish();
}

function decodeRecord(bytes: Uint8Array): Key {
  const r = new Reader(bytes, 'stored key');
  if (r.u32be('magic') !== RECORD_MAGIC) throw new DecodeError('stored key: bad magic');
  const attrs = readAttributes(r);
  const data = r.bytes(r.u32le('length'), 'key data');
  return { attrs, material: importMaterial(attrs.type, attrs.bits, data) };
}

export interface KeyStoreLimits {
  /** Volatile keys held at once; more answer PSA_ERROR_INSUFFICIENT_MEMORY. */
  maxVolatileKeys: number;
}

export class KeyStore {
  private readonly volatile = new Map<number, Key>();
  /** Persistent keys loaded from ITS (dropped by psa_purge_key and at reboot). */
  private readonly cache = new Map<number, Key>();
  private nextVolatile: number;

  constructor(
    private readonly its: AssetStore,
    private readonly limits: KeyStoreLimits,
  ) {
    // each boot hands out volatile ids from a new place, so an id kept
    // across a reboot is very unlikely to name a new key
    this.nextVolatile = C.KeyId.VENDOR_MIN + randomInt(0, 0x3f000000);
  }

  /** Validates the lifetime and id of new-key attributes (INVALID_ARGUMENT / NOT_SUPPORTED). */
  static checkLocation(a: KeyAttributes): void {
    const persistence = C.persistenceOf(a.lifetime);
    const location = C.locationOf(a.lifetime);
    if (location !== C.Location.LOCAL_STORAGE) fail(PSA.ERROR_INVALID_ARGUMENT, `${lifetimeName(a.lifetime)}: no such storage location here`);
    if (persistence === C.Persistence.VOLATILE) {
      if (a.id !== 0) fail(PSA.ERROR_INVALID_ARGUMENT, `a volatile key cannot have the identifier ${keyIdName(a.id)}`);
      return;
    }
    if (persistence !== C.Persistence.DEFAULT) fail(PSA.ERROR_NOT_SUPPORTED, `${lifetimeName(a.lifetime)} is not supported`);
    if (!C.isUserKeyId(a.id)) fail(PSA.ERROR_INVALID_ARGUMENT, `persistent key identifier ${keyIdName(a.id)} is outside the user range`);
  }

  async get(id: number): Promise<Key> {
    const v = this.volatile.get(id);
    if (v) return v;
    if (C.isUserKeyId(id)) {
      const c = this.cache.get(id);
      if (c) return c;
      const r = await this.its.get(BigInt(id), 0n, 1n << 20n);
      if (r.status === PSA.SUCCESS) {
        let k: Key;
        try {
          k = decodeRecord(r.value!);
        } catch (e) {
          if (e instanceof DecodeError || e instanceof PsaError) fail(PSA.ERROR_DATA_CORRUPT, `stored key ${keyIdName(id)} is damaged: ${e.message}`);
          throw e;
        }
        this.cache.set(id, k);
        return k;
      }
      if (r.status !== PSA.ERROR_DOES_NOT_EXIST) fail(r.status, `reading key ${keyIdName(id)} from storage`);
    }
    return fail(PSA.ERROR_INVALID_HANDLE, `no key with identifier ${keyIdName(id)}`);
  }

  /** Stores a new key; returns its identifier. */
  async create(attrs: KeyAttributes, material: KeyMaterial): Promise<number> {
    KeyStore.checkLocation(attrs);
    const final: KeyAttributes = { ...attrs, type: material.type, bits: material.bits, usage: effectiveUsage(attrs.usage) };
    if (C.isVolatileLifetime(attrs.lifetime)) {
      if (this.volatile.size >= this.limits.maxVolatileKeys) fail(PSA.ERROR_INSUFFICIENT_MEMORY, `${this.volatile.size} volatile keys already exist`);
      let id = this.nextVolatile;
      while (this.volatile.has(id)) id = id >= C.KeyId.VENDOR_MAX ? C.KeyId.VENDOR_MIN : id + 1;
      this.nextVolatile = id >= C.KeyId.VENDOR_MAX ? C.KeyId.VENDOR_MIN : id + 1;
      final.id = id;
      this.volatile.set(id, { attrs: final, material });
      return id;
    }
    const uid = BigInt(attrs.id);
    const info = await this.its.info(uid);
    if (info.status === PSA.SUCCESS) fail(PSA.ERROR_ALREADY_EXISTS, `a persistent key ${keyIdName(attrs.id)} already exists`);
    const key = { attrs: final, material };
    const s = await this.its.set(uid, encodeRecord(key), 0);
    if (s.status !== PSA.SUCCESS) {
      fail(s.status === PSA.ERROR_INSUFFICIENT_STORAGE ? PSA.ERROR_INSUFFICIENT_STORAGE : PSA.ERROR_STORAGE_FAILURE, `storing key ${keyIdName(attrs.id)}`);
    }
    this.cache.set(attrs.id, key);
    return attrs.id;
  }

  async destroy(id: number): Promise<void> {
    if (id === C.KeyId.NULL) return;
    if (this.volatile.delete(id)) return;
    await this.get(id); // INVALID_HANDLE when there is no such key
    const s = await this.its.remove(BigInt(id));
    this.cache.delete(id);
    if (s.status !== PSA.SUCCESS) fail(PSA.ERROR_STORAGE_FAILURE, `removing key ${keyIdName(id)} from storage`);
  }

  /** Drops the cached copy of a persistent key (psa_purge_key). */
  async purge(id: number): Promise<void> {
    await this.get(id);
    this.cache.delete(id);
  }

  get volatileCount(): number {
    return this.volatile.size;
  }
}
