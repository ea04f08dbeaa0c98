// UEFI variables over MM Communicate (Standalone MM in OP-TEE, Trusted
// Services SMM gateway): the buffer ABI, the Variable Services of UEFI 2.10
// 8.2, boot phases, VarCheck, persistence, authenticated variables, Secure
// Boot keys, model-based sequences and fuzzing. One file per section.
import { defineSuite } from '../harness/check.js';
import auth from './auth.js';
import fuzz from './fuzz.js';
import getNext from './get-next.js';
import getVariable from './get-variable.js';
import mmBuffer from './mm-buffer.js';
import model from './model.js';
import persistence from './persistence.js';
import queryInfo from './query-info.js';
import runtime from './runtime.js';
import secureBoot from './secure-boot.js';
import setVariable from './set-variable.js';
import varCheck from './var-check.js';

export default defineSuite({
  name: 'smm-variable',
  title: 'UEFI variables over MM Communicate (UEFI 2.10 Variable Services, edk2 SMM variable ABI)',
  service: 'smm-variable',
  checks: [
    ...mmBuffer,
    ...getVariable,
    ...getNext,
    ...setVariable,
    ...queryInfo,
    ...varCheck,
    ...auth,
    ...secureBoot,
    ...persistence,
    ...runtime,
    ...model,
    ...fuzz,
  ],
  capabilities: {
    'smm-variable.authenticated': { type: 'boolean', description: 'time-based authenticated variables (EFI_VARIABLE_AUTHENTICATION_2, PKCS#7) are supported' },
    'smm-variable.secure-boot': { type: 'boolean', description: 'PK/KEK/db enrolment with Setup and User Mode (destructive checks; need Setup Mode)' },
    'smm-variable.var-check': { type: 'boolean', description: 'SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_SET/GET (9, 10) are implemented' },
    'smm-variable.lock-variable': { type: 'boolean', description: 'SMM_VARIABLE_FUNCTION_LOCK_VARIABLE (8) is implemented' },
    'smm-variable.ready-to-boot': { type: 'boolean', description: 'SMM_VARIABLE_FUNCTION_READY_TO_BOOT (5) is implemented (Trusted Services does not)' },
    'smm-variable.mm-header-v3': { type: 'boolean', description: 'EFI_MM_COMMUNICATE_HEADER_V3 buffers are served' },
    'smm-variable.runtime-set-variable': { type: 'boolean', description: 'SetVariable of NV|BS|RT variables works after EXIT_BOOT_SERVICE' },
    'smm-variable.hardware-error-records': { type: 'boolean', description: 'EFI_VARIABLE_HARDWARE_ERROR_RECORD (HwErrRec####) variables are supported' },
  },
});
