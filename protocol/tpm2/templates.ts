// Public-area templates in common use: the storage primaries of TCG's
// "TPM 2.0 Provisioning Guidance" / tpm2-tools defaults (RSA-2048 and ECC
// P-256, AES-128-CFB, restricted decrypt), signing keys, sealed data.
import { ALG, ECC_CURVE, TPMA_OBJECT } from './constants.js';
import type { TpmtPublic } from './structures.js';

const A = TPMA_OBJECT;
const EMPTY = new Uint8Array(0);

/** fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | noDA | restricted | decrypt. */
export const STORAGE_ATTRIBUTES = A.fixedTPM | A.fixedParent | A.sensitiveDataOrigin | A.userWithAuth | A.noDA | A.restricted | A.decrypt;
/** fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | noDA | sign. */
export const SIGNING_ATTRIBUTES = A.fixedTPM | A.fixedParent | A.sensitiveDataOrigin | A.userWithAuth | A.noDA | A.sign;

export function eccStorage(nameAlg: number = ALG.SHA256, attributes: number = STORAGE_ATTRIBUTES): TpmtPublic {
  return {
    type: ALG.ECC,
    nameAlg,
    objectAttributes: attributes,
    authPolicy: EMPTY,
    symmetric: { algorithm: ALG.AES, keyBits: 128, mode: ALG.CFB },
    scheme: { scheme: ALG.NULL },
    curveId: ECC_CURVE.NIST_P256,
    kdf: { scheme: ALG.NULL },
    unique: EMPTY,
    point: { x: EMPTY, y: EMPTY },
  };
}

export function rsaStorage(nameAlg: number = ALG.SHA256, attributes: number = STORAGE_ATTRIBUTES): TpmtPublic {
  return {
    type: ALG.RSA,
    nameAlg,
    objectAttributes: attributes,
    authPolicy: EMPTY,
    symmetric: { algorithm: ALG.AES, keyBits: 128, mode: ALG.CFB },
    scheme: { scheme: ALG.NULL },
    keyBits: 2048,
    exponent: 0,
    unique: EMPTY,
  };
}

export function eccSigning(hashAlg: number = ALG.SHA256, attributes: number = SIGNING_ATTRIBUTES, scheme: number = ALG.ECDSA): TpmtPublic {
  return {
    type: ALG.ECC,
    nameAlg: ALG.SHA256,
    objectAttributes: attributes,
    authPolicy: EMPTY,
    symmetric: { algorithm: ALG.NULL },
    scheme: scheme === ALG.NULL ? { scheme } : { scheme, hashAlg },
    curveId: ECC_CURVE.NIST_P256,
    kdf: { scheme: ALG.NULL },
    unique: EMPTY,
    point: { x: EMPTY, y: EMPTY },
  };
}

export function rsaSigning(scheme: number = ALG.RSASSA, hashAlg: number = ALG.SHA256, attributes: number = SIGNING_ATTRIBUTES, keyBits = 2048): TpmtPublic {
  return {
    type: ALG.RSA,
    nameAlg: ALG.SHA256,
    objectAttributes: attributes,
    authPolicy: EMPTY,
    symmetric: { algorithm: ALG.NULL },
    scheme: scheme === ALG.NULL ? { scheme } : { scheme, hashAlg },
    keyBits,
    exponent: 0,
    unique: EMPTY,
  };
}

/** A sealed data object (KEYEDHASH, no sign/decrypt), optionally bound to a policy. */
export function sealed(authPolicy: Uint8Array = EMPTY, attributes: number = A.fixedTPM | A.fixedParent | A.userWithAuth | A.noDA): TpmtPublic {
  return {
    type: ALG.KEYEDHASH,
    nameAlg: ALG.SHA256,
    objectAttributes: attributes,
    authPolicy,
    scheme: { scheme: ALG.NULL },
    unique: EMPTY,
  };
}
