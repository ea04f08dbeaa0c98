// events.jsonl: one JSON object per line, appended as the run goes, so a
// crash or kill loses no finished check. `fwsec report --from DIR` rebuilds
// every other report file from it.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { summarize, type CheckResult, type Report, type RunEvent, type RunInfo, type Summary } from './model.js';

export class EventLog {
  constructor(readonly path: string) {
    writeFileSync(path, '');
  }

  write(e: RunEvent): void {
    appendFileSync(this.path, `${JSON.stringify(e)}\n`);
  }
}

/** Rebuilds a report from an event log; a log cut short yields an incomplete summary. */
export function reportFromEvents(file: string): Report {
  const lines = readFileSync(file, 'utf8').split('\n');
  let run: RunInfo | undefined;
  let summary: Summary | undefined;
  let planned = 0;
  const results: CheckResult[] = [];
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    let e: RunEvent;
    try {
      e = JSON.parse(line) as RunEvent;
    } catch {
      // the last line of a killed run may be cut: ignore it, keep the rest
      if (i >= lines.length - 2) break;
      throw new Error(`${file}:${i + 1}: not JSON`);
    }
    if (e.event === 'run-start') {
      run = e.run;
      planned = e.planned;
    } else if (e.event === 'result') results.push(e.result);
    else if (e.event === 'run-end') summary = e.summary;
  }
  if (!run) throw new Error(`${file}: no run-start event`);
  if (!summary) {
    const started = Date.parse(run.startedAt);
    summary = summarize(results, run.strict, started, `event log ends after ${results.length} of ${planned} checks (run interrupted)`);
  }
  return { schemaVersion: 1, run, results, summary };
}
