// Keys, certificates and signed payloads for authenticated-variable checks,
// made at check time: RSA-2048 keys from WebCrypto (node:crypto), X.509
// certificates and detached PKCS#7 SignedData with pkijs. Nothing is
// pre-signed: every payload signs the exact name, GUID, attributes,
// timestamp and data of the write it is used for.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { webcrypto } from 'node:crypto';
import {
  GUIDS,
  authSignedBytes,
  efiTimeFromDate,
  encodeAuthentication2,
  encodeSignatureList,
  type Auth2Fields,
  type EfiTime,
} from '../../protocol/smm-variable/index.js';

type CryptoKey = webcrypto.CryptoKey;
const subtle = webcrypto.subtle;
const RSA = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
const SIGNED_DATA_OID = '1.2.840.113549.1.7.2';
const DATA_OID = '1.2.840.113549.1.7.1';

export interface SigningKey {
  cn: string;
  cert: pkijs.Certificate;
  certDer: Uint8Array;
  privateKey: CryptoKey;
  issuer?: SigningKey;
}

let serial = Date.now() % 1_000_000_000;
const cache = new Map<string, Promise<SigningKey>>();

function ab(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function name(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) })],
  });
}

async function generate(cn: string, issuer?: SigningKey): Promise<SigningKey> {
  const keys = (await subtle.generateKey(RSA, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: ++serial });
  cert.issuer = name(issuer?.cn ?? cn);
  cert.subject = name(cn);
  const now = Date.now();
  cert.notBefore.value = new Date(now - 86_400_000);
  cert.notAfter.value = new Date(now + 10 * 365 * 86_400_000);
  cert.extensions = [
    new pkijs.Extension({
      extnID: '2.5.29.19',
      critical: true,
      extnValue: new pkijs.BasicConstraints({ cA: !issuer }).toSchema().toBER(false),
      parsedValue: new pkijs.BasicConstraints({ cA: !issuer }),
    }),
  ];
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey as never);
  await cert.sign((issuer?.privateKey ?? keys.privateKey) as never, 'SHA-256');
  return { cn, cert, certDer: new Uint8Array(cert.toSchema(true).toBER(false)), privateKey: keys.privateKey, issuer };
}

/**
 * A key with a self-signed certificate (or one issued by `issuer`), made once
 * per process and label: RSA-2048 generation is the slow part of the checks.
 */
export function signingKey(label: string, issuer?: SigningKey): Promise<SigningKey> {
  const k = `${label}/${issuer?.cn ?? ''}`;
  let p = cache.get(k);
  if (!p) {
    p = generate(`fwsec test ${label}`, issuer);
    cache.set(k, p);
  }
  return p;
}

export interface SignOptions {
  /** Wrap the SignedData in a ContentInfo (edk2 and OpenSSL accept both). */
  contentInfo?: boolean;
  /** Include the issuer's certificate too (chains). */
  withChain?: boolean;
}

/** Detached PKCS#7 SignedData (SHA-256, RSA PKCS#1 v1.5, no signed attributes) over `content`. */
export async function signDetached(key: SigningKey, content: Uint8Array, o: SignOptions = {}): Promise<Uint8Array> {
  const certs = [key.cert];
  if (o.withChain && key.issuer) certs.push(key.issuer.cert);
  const sd = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: DATA_OID }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: key.cert.issuer, serialNumber: key.cert.serialNumber }),
      }),
    ],
    certificates: certs,
  });
  await sd.sign(key.privateKey as never, 0, 'SHA-256', ab(content));
  const schema = sd.toSchema(true);
  if (o.contentInfo) {
    return new Uint8Array(new pkijs.ContentInfo({ contentType: SIGNED_DATA_OID, content: schema }).toSchema().toBER(false));
  }
  return new Uint8Array(schema.toBER(false));
}

let clock = 0;
/**
 * A timestamp later than every earlier one of this process: the current UTC
 * time plus a counter of seconds (authenticated writes need strictly later
 * timestamps, and checks run faster than one per second).
 */
export function nextTime(): EfiTime {
  clock += 1;
  return efiTimeFromDate(new Date(Date.now() + clock * 1000));
}

export interface AuthWrite {
  /** Signs this exact (name, guid, attributes, timestamp, payload). */
  key: SigningKey;
  name: string;
  guid: string;
  attributes: number;
  payload: Uint8Array;
  time?: EfiTime;
  sign?: SignOptions;
  /** Replace descriptor fields after signing (tampering checks). */
  override?: Partial<Auth2Fields>;
  /** Sign other bytes than the ones sent (tampering checks). */
  signedPayload?: Uint8Array;
  signedName?: string;
}

/** EFI_VARIABLE_AUTHENTICATION_2 + payload for one SetVariable. */
export async function authData(w: AuthWrite): Promise<{ data: Uint8Array; time: EfiTime }> {
  const time = w.time ?? nextTime();
  const signed = authSignedBytes(w.signedName ?? w.name, w.guid, w.attributes, time, w.signedPayload ?? w.payload);
  const certData = await signDetached(w.key, signed, w.sign);
  return { data: encodeAuthentication2({ timeStamp: time, certData, ...w.override }, w.payload), time };
}

/** An EFI_SIGNATURE_LIST holding one X.509 certificate. */
export function certList(key: SigningKey, owner: string = GUIDS.GLOBAL_VARIABLE): Uint8Array {
  return encodeSignatureList({ type: GUIDS.CERT_X509, signatures: [{ owner, data: key.certDer }] });
}

export function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

export async function privateKeyPem(key: SigningKey): Promise<string> {
  return pem('PRIVATE KEY', new Uint8Array(await subtle.exportKey('pkcs8', key.privateKey)));
}
