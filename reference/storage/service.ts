// The ITS / PS service behind the packed-c secure-storage protocol: decodes a
// request with protocol/psa/storage, applies PSA Storage semantics, encodes
// the answer. Malformed bodies answer PSA_ERROR_INVALID_ARGUMENT (the
// Trusted Services provider rejects them as RPC_ERROR_INVALID_REQUEST_BODY;
// the envelope carries one status, so the PSA status for bad arguments is
// used) and change nothing.
import { DecodeError } from '../../protocol/bytes.js';
import { PSA } from '../../protocol/psa/status.js';
import * as S from '../../protocol/psa/storage.js';
import type { ServiceResponse } from '../../protocol/services.js';
import type { AssetStore, Result } from './asset-store.js';

const EMPTY = new Uint8Array(0);

function answer<T>(r: Result<T>, encode?: (v: T) => Uint8Array): ServiceResponse {
  if (r.status !== PSA.SUCCESS || !encode) return { status: r.status, body: EMPTY };
  return { status: r.status, body: encode(r.value as T) };
}

export function storageHandler(kind: 'its' | 'ps', store: AssetStore) {
  return async (opcode: number, body: Uint8Array): Promise<ServiceResponse> => {
    try {
      switch (opcode) {
        case S.StorageOpcode.SET: {
          const r = S.decodeSet(body);
          return answer(await store.set(r.uid, r.data, r.flags));
        }
        case S.StorageOpcode.GET: {
          const r = S.decodeGet(body);
          return answer(await store.get(r.uid, r.offset, r.size), (d) => d);
        }
        case S.StorageOpcode.GET_INFO:
          return answer(await store.info(S.decodeUid(body, 'get_info request')), S.encodeInfo);
        case S.StorageOpcode.REMOVE:
          return answer(await store.remove(S.decodeUid(body, 'remove request')));
        case S.StorageOpcode.CREATE: {
          if (kind !== 'ps') break;
          const r = S.decodeCreate(body);
          return answer(await store.create(r.uid, r.capacity, r.flags));
        }
        case S.StorageOpcode.SET_EXTENDED: {
          if (kind !== 'ps') break;
          const r = S.decodeSetExtended(body);
          return answer(await store.setExtended(r.uid, r.offset, r.data));
        }
        case S.StorageOpcode.GET_SUPPORT:
          if (kind !== 'ps') break;
          return { status: PSA.SUCCESS, body: S.encodeSupport(store.getSupport()) };
      }
      return { status: PSA.ERROR_NOT_SUPPORTED, body: EMPTY };
    } catch (e) {
      if (e instanceof DecodeError) return { status: PSA.ERROR_INVALID_ARGUMENT, body: EMPTY };
      throw e;
    }
  };
}
