// PSA Certified Secure Storage API 1.0 (ITS and PS) over the Trusted
// Services packed-c protocol. One file per section of the spec.
import { defineSuite } from '../harness/check.js';
import capacity from './capacity.js';
import get from './get.js';
import getInfo from './get-info.js';
import model from './model.js';
import persistence from './persistence.js';
import psExtended from './ps-extended.js';
import remove from './remove.js';
import set from './set.js';
import uids from './uids.js';
import wire from './wire.js';

export default defineSuite({
  name: 'psa-storage',
  title: 'PSA Secure Storage API 1.0 (Internal Trusted Storage, Protected Storage)',
  service: 'its',
  checks: [...set, ...uids, ...get, ...getInfo, ...remove, ...psExtended, ...capacity, ...persistence, ...model, ...wire],
  capabilities: {
    'its.max-asset-size': { type: 'number', description: 'largest ITS asset in bytes the target stores' },
    'ps.max-asset-size': { type: 'number', description: 'largest PS asset in bytes (and largest psa_ps_create capacity)' },
    'its.capacity': { type: 'number', description: 'total ITS bytes available to the caller (checks fill the storage up to it)' },
    'ps.capacity': { type: 'number', description: 'total PS bytes available to the caller' },
    'ps.set-extended': { type: 'boolean', description: 'psa_ps_create and psa_ps_set_extended are implemented' },
    'storage.write-once': {
      type: 'boolean',
      description: 'checks may create WRITE_ONCE assets, which can never be removed (false on targets whose storage must stay clean)',
    },
  },
});
