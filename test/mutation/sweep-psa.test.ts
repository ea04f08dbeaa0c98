import { describeSweep } from './sweep.js';

describeSweep(['psa-storage', 'psa-crypto']);
