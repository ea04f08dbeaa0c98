import { describeSweep } from './sweep.js';

describeSweep(['rpmb', 'smm-variable']);
