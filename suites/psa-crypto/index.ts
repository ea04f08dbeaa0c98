// PSA Certified Crypto API 1.2.1 over the Trusted Services packed-c crypto
// protocol. One file per section of the spec (plus the wire protocol and
// the model-based multi-part checks).
import { defineSuite } from '../harness/check.js';
import { CAPABILITIES } from './caps.js';
import aead from './aead.js';
import cipher from './cipher.js';
import hash from './hash.js';
import ka from './ka.js';
import kdf from './kdf.js';
import mac from './mac.js';
import multipart from './multipart.js';
import lifetimes from './lifetimes.js';
import management from './management.js';
import policy from './policy.js';
import random from './random.js';
import pke from './pke.js';
import sign from './sign.js';
import wire from './wire.js';

export default defineSuite({
  name: 'psa-crypto',
  title: 'PSA Certified Crypto API 1.2.1 (Trusted Services packed-c protocol)',
  service: 'crypto',
  checks: [...management, ...lifetimes, ...policy, ...hash, ...mac, ...cipher, ...aead, ...kdf, ...sign, ...pke, ...ka, ...random, ...multipart, ...wire],
  capabilities: CAPABILITIES,
});
