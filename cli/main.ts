// The fwsec command.
import { TransportError } from '../transports/types.js';
import { UsageError } from '../suites/harness/profile.js';
import { TOOL } from '../suites/harness/runner.js';
import { cmdList, LIST_HELP } from './list.js';
import { cmdDiff, cmdReport, DIFF_HELP, REPORT_HELP } from './report.js';
import { cmdRun, RUN_HELP } from './run.js';
import { cmdServe, SERVE_HELP } from './serve.js';
import { cmdDoctor, DOCTOR_HELP } from './doctor.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string; summary: string }> = {
  run: { run: cmdRun, help: RUN_HELP, summary: 'run checks against a target and write reports' },
  list: { run: cmdList, help: LIST_HELP, summary: 'list checks (or --capabilities)' },
  serve: { run: cmdServe, help: SERVE_HELP, summary: 'serve the reference stack over the fwsec envelope' },
  doctor: { run: cmdDoctor, help: DOCTOR_HELP, summary: 'check that a target answers; report what it says about itself' },
  report: { run: cmdReport, help: REPORT_HELP, summary: 'rebuild reports from events.jsonl' },
  diff: { run: cmdDiff, help: DIFF_HELP, summary: 'compare two runs check by check' },
};

function usage(): string {
  return [
    `fwsec ${TOOL.version}: conformance checks for firmware security services`,
    '',
    'usage: fwsec COMMAND [options]   (fwsec COMMAND --help for its options)',
    '',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(8)} ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    const sub = cmd === 'help' ? rest[0] : undefined;
    console.log(sub && COMMANDS[sub] ? COMMANDS[sub].help : usage());
    return 0;
  }
  if (cmd === '--version') {
    console.log(TOOL.version);
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    console.error(`fwsec: unknown command "${cmd}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await c.run(rest);
  } catch (e) {
    if (e instanceof UsageError || e instanceof TransportError) {
      console.error(`fwsec ${cmd}: ${e.message}`);
      return 2;
    }
    console.error(`fwsec ${cmd}: internal error: ${(e as Error)?.stack ?? e}`);
    return 2;
  }
}
