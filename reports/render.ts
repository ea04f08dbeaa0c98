// Writes every report file of a run into its output directory.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import formatsModule from 'ajv-formats';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { lavaLine } from './lava.js';
import { renderMarkdown } from './markdown.js';
import type { Report } from './model.js';

export const REPORT_FILES = ['events.jsonl', 'report.json', 'junit.xml', 'summary.md', 'report.html', 'results.txt'] as const;

// ajv-formats is CommonJS; under NodeNext its plugin is the default export's `default`
const addFormats = formatsModule.default;

let validator: ReturnType<Ajv['compile']> | undefined;

/** Validates a report against reports/report.schema.json; returns problems (empty when valid). */
export function validateReport(report: unknown): string[] {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const schema = JSON.parse(readFileSync(fileURLToPath(new URL('./report.schema.json', import.meta.url)), 'utf8'));
    validator = ajv.compile(schema);
  }
  if (validator(report)) return [];
  return (validator.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}`);
}

export function writeReports(report: Report, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string) => {
    writeFileSync(join(outDir, name), text);
    written.push(join(outDir, name));
  };
  put('report.json', `${JSON.stringify(report, null, 2)}\n`);
  put('junit.xml', renderJunit(report));
  put('summary.md', renderMarkdown(report));
  put('report.html', renderHtml(report));
  put('results.txt', report.results.map((r) => `${lavaLine(r, report.run.strict)}\n`).join(''));
  return written;
}
