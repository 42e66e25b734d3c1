import fs from 'node:fs';
import os from 'node:os';
import { type ConfigKey, listConfigKeys } from '../../src/config/load-config';
import { repoPath } from '../helpers/stack-assets';

/**
 * docs/configuration.md carries a generated reference of every config key between two markers;
 * the prose around it is written by hand. This test renders the reference from the one config
 * schema and fails when the page is stale. `UPDATE_DOCS=1 npx jest -c exporter/jest.config.js
 * exporter/test/stack/config-doc` rewrites the generated part.
 */
const DOC = repoPath('docs', 'configuration.md');
const BEGIN = '<!-- BEGIN GENERATED CONFIG REFERENCE (exporter/test/stack/config-doc.test.ts) -->';
const END = '<!-- END GENERATED CONFIG REFERENCE -->';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function formatDefault(key: ConfigKey): string {
  // The node name defaults to the machine's host name: document the rule, not this machine's value.
  if (key.path === 'node' && key.default === os.hostname().replace(/[^A-Za-z0-9_-]/g, '-')) return 'host name';
  if (key.default === undefined) return '—';
  return '`' + cell(JSON.stringify(key.default)) + '`';
}

export function renderConfigReference(keys: ConfigKey[] = listConfigKeys()): string {
  const rows = keys.map(
    (k) => `| \`${k.path}\` | \`${k.env}\` | ${k.type} | ${formatDefault(k)} | ${cell(k.description)} |`
  );
  return [
    BEGIN,
    '',
    '| key | environment | type | default | description |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    END,
  ].join('\n');
}

describe('docs/configuration.md', () => {
  it('lists every config key with its environment variable, type, default and description', () => {
    const text = fs.readFileSync(DOC, 'utf8');
    const start = text.indexOf(BEGIN);
    const end = text.indexOf(END);
    expect({ hasBegin: start >= 0, hasEnd: end > start }).toEqual({ hasBegin: true, hasEnd: true });
    const current = text.slice(start, end + END.length);
    const expected = renderConfigReference();
    if (process.env['UPDATE_DOCS'] === '1' && current !== expected) {
      fs.writeFileSync(DOC, text.slice(0, start) + expected + text.slice(end + END.length));
      return;
    }
    expect(current).toBe(expected);
  });

  it('documents the environment form of every key type', () => {
    const keys = listConfigKeys();
    expect(keys.length).toBeGreaterThan(10);
    for (const k of keys) expect(k.env).toMatch(/^LOOKOUT_[A-Z0-9_]+$/);
    expect(keys.map((k) => k.env)).toEqual(
      expect.arrayContaining([
        'LOOKOUT_PORT',
        'LOOKOUT_NODE',
        'LOOKOUT_WATCH_ROOT',
        'LOOKOUT_NATS_URL',
        'LOOKOUT_TOKENS',
      ])
    );
  });
});
