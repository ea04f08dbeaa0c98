// eMMC RPMB (JESD84-B51 6.6.22), the OP-TEE normal-world RPC that carries
// it, shared RPMB for virtual machines, and the secure-storage stack on it.
// One file per section; docs/rpmb.md maps the public test suites to ids.
import { defineSuite } from '../harness/check.js';
import config from './config.js';
import counter from './counter.js';
import expiry from './expiry.js';
import key from './key.js';
import model from './model.js';
import read from './read.js';
import result from './result.js';
import stack from './stack.js';
import vm from './vm.js';
import wire from './wire.js';
import write from './write.js';

export default defineSuite({
  name: 'rpmb',
  title: 'eMMC Replay Protected Memory Block (JESD84-B51 6.6.22), OP-TEE RPMB RPC, shared RPMB, storage on RPMB',
  service: 'rpmb',
  // key programming first: the other checks need the device under test programmed
  checks: [...key, ...counter, ...write, ...read, ...result, ...expiry, ...config, ...wire, ...model, ...vm, ...stack],
  capabilities: {
    'rpmb.dev-id': { type: 'number', description: 'dev_id of the RPMB device under test (default 0)' },
    'rpmb.key': { type: 'string', description: "the device's authentication key, 64 hex digits (default: OP-TEE's CFG_RPMB_TESTKEY key); rpmb.key.program programs it into a blank device" },
    'rpmb.key-programmed': { type: 'boolean', description: 'false: the device under test is blank (its key may be programmed by rpmb.key.program, destructive)' },
    'rpmb.scratch-first': { type: 'number', description: 'first block checks may overwrite (nothing else may use the range)' },
    'rpmb.scratch-count': { type: 'number', description: 'number of blocks checks may overwrite from rpmb.scratch-first' },
    'rpmb.test-hooks': { type: 'boolean', description: 'the reference-only TEST_* opcodes: fresh test devices with a chosen size and counter, access to the REE file system' },
    'rpmb.device-config': { type: 'boolean', description: 'authenticated device configuration (request types 6/7, eMMC 5.1 secure write protection)' },
    'rpmb.vm': { type: 'boolean', description: 'shared RPMB: virtual RPMB devices per guest, listed by DEVICES, partition table in block 0 of dev_id 0' },
    'rpmb.backs-its': { type: 'boolean', description: "the target's ITS (and PS's rollback root) is stored on the RPMB of dev_id 0" },
  },
});
