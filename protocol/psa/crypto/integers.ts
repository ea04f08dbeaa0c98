// Big-endian unsigned integers of arbitrary size (ECC scalars and
// coordinates, RSA numbers), as the PSA key formats write them.

export function bytesToBig(b: Uint8Array): bigint {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
}

/** `x` as exactly `len` big-endian bytes (the high bytes are dropped if it does not fit). */
export function bigToBytes(x: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}
