// docs/runbook-parity.md stays true: every `hf` command it names is one the CLI registers, every test it cites
// exists, and every command line of the runbook (its scripts, manifests, deployments, redis keys) has a row.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';
import { ROOT } from '../helpers.ts';

const DOC = readFileSync(join(ROOT, 'docs/runbook-parity.md'), 'utf8');
const RUNBOOK = join(ROOT, '..', 'shared', 'RUNBOOK.md');

/** Table rows as cells (a `\|` inside a cell is not a separator). */
function rows(markdown: string): string[][] {
  const out: string[][] = [];
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|') || /^\|\s*-/.test(line)) continue;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    if (cells[0] === '§' || cells[0] === 'Symptom') continue;
    out.push(cells);
  }
  return out;
}

const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);

describe('docs/runbook-parity.md', () => {
  const table = rows(DOC);

  it('has a row per runbook section, each with what works here and what tests it', () => {
    expect(table.length).toBeGreaterThan(40);
    for (const cells of table) {
      expect(cells.length, cells.join(' | ')).toBe(4);
      expect(cells[2], cells.join(' | ')).not.toBe('');
      expect(cells[3], cells.join(' | ')).not.toBe('');
    }
  });

  it('names only hf commands the CLI registers', () => {
    const program = buildProgram({ out: () => undefined, err: () => undefined }, () => undefined);
    const commands = new Set(program.commands.map((c) => c.name()));
    const named = new Set<string>();
    for (const cells of table)
      for (const span of codeSpans(cells[2] as string)) {
        const match = /^hf ([a-z-]+)/.exec(span);
        if (match) named.add(match[1] as string);
      }
    expect(named.size).toBeGreaterThan(10);
    for (const command of named) expect(commands, `hf ${command}`).toContain(command);
  });

  it('cites tests and files that exist', () => {
    let cited = 0;
    for (const cells of table)
      for (const span of [...codeSpans(cells[2] as string), ...codeSpans(cells[3] as string)])
        if (/^(tests|src|deploy|k8s|docs)\/[\w./-]+\.(ts|yaml|yml|json|md)$/.test(span)) {
          cited++;
          expect(existsSync(join(ROOT, span)), span).toBe(true);
        }
    expect(cited).toBeGreaterThan(40);
  });

  it.skipIf(!existsSync(RUNBOOK))('covers every command line of the runbook', () => {
    const runbook = readFileSync(RUNBOOK, 'utf8');
    const blocks = [...runbook.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const inline = [...runbook.matchAll(/`((?:kubectl|redis-cli|HSET|XLEN|python)[^`]*)`/g)].map(
      (m) => m[1] as string,
    );
    const lines = [...blocks.flatMap((b) => b.split('\n')), ...inline]
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const missing: string[] = [];
    for (const line of lines) {
      const keys = [
        ...line.matchAll(/[\w/-]+\.(?:py|yaml|txt)\b/g),
        ...line.matchAll(/deploy\/[\w-]+/g),
        ...line.matchAll(/\b(?:XLEN|XINFO STREAM|HGET|HSET) [\w.:]+/g),
      ].map((m) => m[0]);
      for (const key of keys) if (!DOC.includes(key)) missing.push(`${key}  (from: ${line})`);
    }
    expect(lines.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});
