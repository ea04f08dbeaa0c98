// UEFI variables over MM Communicate: every codec of the smm-variable service.
export * from './guid.js';
export * from './status.js';
export * from './buffer.js';
export * from './payloads.js';
export * from './auth.js';
