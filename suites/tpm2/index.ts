// TPM 2.0 (TCG TPM 2.0 Library 1.59, with the PC Client platform profile's
// PCR and locality rules), checked at the TPM command interface. One file
// per section of Part 3 (plus platform signals, model-based sequences,
// malformed-command robustness and field scenarios).
import { defineSuite } from '../harness/check.js';
import command from './command.js';
import startup from './startup.js';
import testing from './testing.js';
import capability from './capability.js';
import pcr from './pcr.js';
import hash from './hash.js';
import session from './session.js';
import policy from './policy.js';
import object from './object.js';
import signing from './signing.js';
import context from './context.js';
import nv from './nv.js';
import hierarchy from './hierarchy.js';
import da from './da.js';
import platform from './platform.js';
import model from './model.js';
import wire from './wire.js';

export default defineSuite({
  name: 'tpm2',
  title: 'TPM 2.0 Library 1.59 (commands, sessions, PCRs, keys, NV, hierarchies)',
  service: 'tpm2',
  checks: [...command, ...startup, ...testing, ...capability, ...pcr, ...hash, ...session, ...policy, ...object, ...signing, ...context, ...nv, ...hierarchy, ...da, ...platform, ...model, ...wire],
  capabilities: {
    'tpm2.locality': { type: 'boolean', description: 'the transport can set the locality of commands (fwsec tpm2 SET_LOCALITY, swtpm CMD_SET_LOCALITY, mssim header byte)' },
    'tpm2.drtm': { type: 'boolean', description: 'the platform can signal _TPM_Hash_Start/Data/End (DRTM) to the TPM' },
    'tpm2.power-cycle': { type: 'boolean', description: 'the platform can signal _TPM_Init (power cycle) between commands' },
    'tpm2.established': { type: 'boolean', description: 'TPM_ACCESS.tpmEstablishment can be read and reset through the transport' },
    'tpm2.platform-auth': { type: 'boolean', description: 'the platform hierarchy is usable with an empty platformAuth (false on a board whose firmware set it)' },
    'tpm2.owner-auth': { type: 'string', description: 'ownerAuth of the target (text, or hex:...); default empty' },
    'tpm2.endorsement-auth': { type: 'string', description: 'endorsementAuth of the target (text, or hex:...); default empty' },
    'tpm2.lockout-auth': { type: 'string', description: 'lockoutAuth of the target (text, or hex:...); default empty' },
    'tpm2.nv-base': { type: 'number', description: 'first NV index checks may define (default 0x01500000; 64K indices above it)' },
    'tpm2.persistent-base': { type: 'number', description: 'first persistent handle checks may use (default 0x81000100; 4K handles above it)' },
  },
});
