// The example profiles in profiles/examples/ stay valid: schema, expectation
// files, and every transport URI parses with the scheme it names.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Expectations } from '../../suites/harness/expectations.js';
import { PROFILES_DIR, loadProfile } from '../../suites/harness/profile.js';
import { parseTransportUri, TransportError } from '../../transports/index.js';

const DIR = join(PROFILES_DIR, 'examples');
// schemes an example uses that another issue provides
const PENDING: Record<string, string> = { swtpm: 'issue 6 (TPM 2.0) registers swtpm://' };

describe('profiles/examples', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json') && !f.endsWith('.expectations.json'));
  it('has the four lab setups of docs/transports.md', () => {
    expect(files.sort()).toEqual(['board-ser2net.json', 'linux-board-tee.json', 'qemu-optee-chardev.json', 'swtpm.json']);
  });
  for (const f of files) {
    it(`${f}: valid profile, expectations load, URIs parse`, () => {
      const p = loadProfile(join(DIR, f));
      expect(Object.keys(p.services).length).toBeGreaterThan(0);
      if (p.expectations) expect(() => Expectations.load(p.expectations!)).not.toThrow();
      for (const uri of Object.values(p.services)) {
        try {
          parseTransportUri(uri);
        } catch (e) {
          expect(e).toBeInstanceOf(TransportError);
          const scheme = uri.split(':')[0]!;
          expect(PENDING[scheme], `${f}: ${(e as Error).message}`).toBeDefined();
        }
      }
    });
  }
});
