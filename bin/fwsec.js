#!/usr/bin/env node
// fwsec command entry: runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
// `fwsec list | head` closes the pipe early: that is not an error
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
