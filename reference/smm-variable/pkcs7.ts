// PKCS#7 SignedData checks for time-based authenticated variables, with
// pkijs/asn1js (parsing, signature verification, certificate signatures).
// As edk2 CryptoPkg Pkcs7Verify does: the SignedData may or may not be
// wrapped in a ContentInfo; the content is detached; the signer certificate
// must be embedded; it is trusted when it equals a trusted certificate or
// chains to one through certificates embedded in the SignedData; validity
// dates are not checked (firmware has no trusted clock).
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createHash } from 'node:crypto';

const SIGNED_DATA_OID = '1.2.840.113549.1.7.2';
const SHA256_OID = '2.16.840.1.101.3.4.2.1';

function ab(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function parseSignedData(der: Uint8Array): pkijs.SignedData | undefined {
  try {
    const asn = asn1js.fromBER(ab(der));
    if (asn.offset === -1) return undefined;
    try {
      const ci = new pkijs.ContentInfo({ schema: asn.result });
      if (ci.contentType === SIGNED_DATA_OID) return new pkijs.SignedData({ schema: ci.content });
    } catch {
      // not a ContentInfo: try a bare SignedData
    }
    return new pkijs.SignedData({ schema: asn.result });
  } catch {
    return undefined;
  }
}

export function parseCertificate(der: Uint8Array): pkijs.Certificate | undefined {
  try {
    const asn = asn1js.fromBER(ab(der));
    if (asn.offset === -1) return undefined;
    return new pkijs.Certificate({ schema: asn.result });
  } catch {
    return undefined;
  }
}

export function certDer(c: pkijs.Certificate): Uint8Array {
  return new Uint8Array(c.toSchema(true).toBER(false));
}

export function fingerprint(c: pkijs.Certificate): Uint8Array {
  return new Uint8Array(createHash('sha256').update(certDer(c)).digest());
}

function sameCert(a: pkijs.Certificate, b: pkijs.Certificate): boolean {
  return Buffer.from(certDer(a)).equals(Buffer.from(certDer(b)));
}

async function issuedBy(child: pkijs.Certificate, issuer: pkijs.Certificate): Promise<boolean> {
  if (!child.issuer.isEqual(issuer.subject)) return false;
  try {
    return await child.verify(issuer);
  } catch {
    return false;
  }
}

export type VerifyResult = { ok: true; signer: pkijs.Certificate } | { ok: false; reason: string };

/**
 * Verifies a detached SignedData over `content`. With `trusted` undefined
 * only the signature is checked (the caller decides about the signer).
 */
export async function verifyDetached(sd: pkijs.SignedData, content: Uint8Array, trusted?: pkijs.Certificate[]): Promise<VerifyResult> {
  if (sd.signerInfos.length < 1) return { ok: false, reason: 'no SignerInfo' };
  if (sd.signerInfos[0]!.digestAlgorithm.algorithmId !== SHA256_OID) {
    return { ok: false, reason: `digest algorithm ${sd.signerInfos[0]!.digestAlgorithm.algorithmId} is not SHA-256` };
  }
  let signer: pkijs.Certificate | undefined;
  try {
    const r = await sd.verify({ signer: 0, data: ab(content), checkChain: false, extendedMode: true });
    if (!r.signatureVerified) return { ok: false, reason: r.message || 'signature does not verify' };
    signer = r.signerCertificate ?? undefined;
  } catch (e) {
    return { ok: false, reason: `signature does not verify: ${(e as Error)?.message ?? e}` };
  }
  if (!signer) return { ok: false, reason: 'signer certificate not embedded' };
  if (!trusted) return { ok: true, signer };
  const embedded = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  let cur = signer;
  for (let depth = 0; depth < 8; depth++) {
    for (const t of trusted) {
      if (sameCert(cur, t) || (await issuedBy(cur, t))) return { ok: true, signer };
    }
    let next: pkijs.Certificate | undefined;
    for (const c of embedded) {
      if (!sameCert(c, cur) && (await issuedBy(cur, c))) {
        next = c;
        break;
      }
    }
    if (!next) break;
    cur = next;
  }
  return { ok: false, reason: 'signer does not chain to a trusted certificate' };
}
