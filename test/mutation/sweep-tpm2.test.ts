import { describeSweep } from './sweep.js';

describeSweep(['tpm2']);
