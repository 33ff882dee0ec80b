// `hf report` in process on the constructed day (src/reports/day-fixture.test-support.ts): the files written
// and where, format parsing, and exit codes on a day without data and without Chromium.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DATE, REGISTRY_YAML, SESSION, writeDayFixture } from '../reports/day-fixture.test-support.ts';
import { parseFormats, registerReportCommand } from './report-command.ts';

// The embedded deployment's sessions, whatever database the test environment provides.
delete process.env.DATABASE_URL;

let home: string;
let config: string;
const chromium = process.env.HF_CHROMIUM;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'hf-report-cli-'));
  await writeDayFixture(home);
  config = mkdtempSync(join(tmpdir(), 'hf-report-config-'));
  writeFileSync(join(config, 'registry.yaml'), REGISTRY_YAML);
});

afterEach(() => {
  if (chromium === undefined) delete process.env.HF_CHROMIUM;
  else process.env.HF_CHROMIUM = chromium;
});

async function hf(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = -1;
  const program = new Command('hf').option('--home <dir>').option('--config <dir>').exitOverride();
  registerReportCommand(program, { out: (l) => out.push(l), err: (l) => err.push(l) }, (c) => {
    code = c;
  });
  await program.parseAsync(args, { from: 'user' });
  return { code, out, err };
}

describe('hf report', () => {
  it('writes report.md and its charts into <home>/reports/<date> by default', async () => {
    const r = await hf('--home', home, '--config', config, 'report', '--date', DATE);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const dir = join(home, 'reports', DATE);
    expect(r.out).toEqual([
      `report ${DATE} from session ${SESSION} (${join(home, 'sessions', SESSION)})`,
      `wrote ${join(dir, 'equity-USD.svg')}`,
      `wrote ${join(dir, 'drawdown-USD.svg')}`,
      `wrote ${join(dir, 'report.md')}`,
    ]);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('| Net PnL (USD) | 50.00 |');
  });

  it('writes into --out, and without Chromium exits 1 with how to install it, the Markdown written', async () => {
    process.env.HF_CHROMIUM = '/nonexistent/chromium';
    const out = mkdtempSync(join(tmpdir(), 'hf-report-cli-out-'));
    const r = await hf(
      '--home',
      home,
      '--config',
      config,
      'report',
      '--date',
      DATE,
      '--format',
      'md,pdf',
      '--out',
      out,
    );
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toContain(
      'hf report: PDF not written: no Chromium at /nonexistent/chromium: install Chromium',
    );
    expect(existsSync(join(out, 'report.md'))).toBe(true);
    expect(existsSync(join(out, 'report.pdf'))).toBe(false);
  });

  it('exits 2 on an unknown format and 1 on a day without data', async () => {
    const format = await hf(
      '--home',
      home,
      '--config',
      config,
      'report',
      '--date',
      DATE,
      '--format',
      'md,xls',
    );
    expect(format.code).toBe(2);
    expect(format.err).toEqual(['hf report: --format "xls" is not one of md, pdf (e.g. --format md,pdf)']);
    const none = await hf('--home', home, '--config', config, 'report', '--date', '2024-01-03');
    expect(none.code).toBe(1);
    expect(none.err.join('\n')).toContain(`no data for 2024-01-03: looked at session ${SESSION}`);
  });
});

describe('parseFormats', () => {
  it('reads a comma-separated list, once each', () => {
    expect(parseFormats('md, PDF,md')).toEqual({ formats: ['md', 'pdf'] });
    expect(parseFormats('')).toEqual({ unknown: '' });
    expect(parseFormats('html')).toEqual({ unknown: 'html' });
  });
});
