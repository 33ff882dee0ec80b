// The returns CSV reader: header or not, date column or not, column choice, and errors naming file and line.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReturnsCsv, readReturnsFile, ReturnsFileError } from './returns-file.ts';

const directory = mkdtempSync(join(tmpdir(), 'hf-returns-'));

function file(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(action: () => unknown): ReturnsFileError {
  try {
    action();
  } catch (error) {
    if (error instanceof ReturnsFileError) return error;
    throw error;
  }
  throw new Error('expected a ReturnsFileError');
}

describe('layouts', () => {
  it('one bare column, no header, no dates', () => {
    const series = readReturnsFile(file('bare.csv', '0.01\n-0.02\n0.03\n'));
    expect([...series.values]).toEqual([0.01, -0.02, 0.03]);
    expect(series.labels).toBeNull();
    expect(series.columnName).toBeNull();
    expect(series.column).toBe(1);
  });

  it('a header and a date column; --column counts numeric columns only', () => {
    const path = file('dated.csv', 'date,fund a,fund b\n2020-01-31,0.01,0.02\n2020-02-29,-0.01,0.03\n');
    const first = readReturnsFile(path);
    expect([...first.values]).toEqual([0.01, -0.01]);
    expect(first.labels).toEqual(['2020-01-31', '2020-02-29']);
    expect(first.columnName).toBe('fund a');
    const second = readReturnsFile(path, { column: 2 });
    expect([...second.values]).toEqual([0.02, 0.03]);
    expect(second.columnName).toBe('fund b');
  });

  it('a header whose date column has no name', () => {
    const series = parseReturnsCsv(',portfolio (%),benchmark\n2000-01-31,0.003,0.002\n', 'x.csv');
    expect([...series.values]).toEqual([0.003]);
    expect(series.columnName).toBe('portfolio (%)');
  });

  it('dates without a header, three numeric columns', () => {
    const series = parseReturnsCsv('2021-01-01,0.1,0.2,0.3\n2021-01-02,0.4,0.5,-0.6\n', 'x.csv', {
      column: 3,
    });
    expect([...series.values]).toEqual([0.3, -0.6]);
    expect(series.labels).toEqual(['2021-01-01', '2021-01-02']);
  });

  it('several numeric columns without dates', () => {
    const series = parseReturnsCsv('0.1,0.2\n0.3,0.4\n', 'x.csv', { column: 2 });
    expect([...series.values]).toEqual([0.2, 0.4]);
    expect(series.labels).toBeNull();
  });

  it('CRLF, a byte order mark, blank and comment lines, quotes, tabs, exponents', () => {
    const series = parseReturnsCsv(
      '\uFEFF# monthly\r\n"date"\t"r"\r\n\r\n"2020-01"\t1e-2\r\n2020-02\t-.5\r\n',
      'x.tsv',
    );
    expect([...series.values]).toEqual([0.01, -0.5]);
    expect(series.labels).toEqual(['2020-01', '2020-02']);
    expect(series.columnName).toBe('r');
  });

  it('a first column of plain numbers (years) is a numeric column, not labels', () => {
    const series = parseReturnsCsv('2020,0.1\n2021,0.2\n', 'x.csv', { column: 2 });
    expect([...series.values]).toEqual([0.1, 0.2]);
    expect(series.labels).toBeNull();
  });

  it('numbers are fractions whatever the header says', () => {
    expect([...parseReturnsCsv('return (%)\n1.5\n', 'x.csv').values]).toEqual([1.5]);
  });
});

describe('errors name the file, the line and the problem', () => {
  it('a word where a number should be', () => {
    const error = errorOf(() => readReturnsFile(file('word.csv', 'r\n0.01\nabc\n')));
    expect(error.line).toBe(3);
    expect(error.message).toBe(`${join(directory, 'word.csv')}:3: "abc" in column 1 is not a number`);
  });

  it('an empty field, a short row, a loss beyond 100 %', () => {
    expect(errorOf(() => parseReturnsCsv('d,r\n2020-01,0.1\n2020-02,\n', 'f.csv')).message).toBe(
      'f.csv:3: column 1 is empty',
    );
    expect(
      errorOf(() => parseReturnsCsv('2020-01,0.1,0.2\n2020-02,0.3\n', 'f.csv', { column: 2 })).message,
    ).toBe('f.csv:2: no value in column 2: the row has 2 fields');
    expect(errorOf(() => parseReturnsCsv('0.1\n-1.2\n', 'f.csv')).message).toMatch(
      /^f\.csv:2: return -1\.2 is a loss of more than 100 %/,
    );
  });

  it('a column the file does not have', () => {
    expect(errorOf(() => parseReturnsCsv('d,r\n2020-01,0.1\n', 'f.csv', { column: 2 })).message).toBe(
      'f.csv:2: column 2 requested but the first data row has 1 numeric column',
    );
    expect(errorOf(() => parseReturnsCsv('0.1\n', 'f.csv', { column: 0 })).message).toBe(
      'f.csv: column must be an integer ≥ 1, got 0',
    );
  });

  it('no data, a hex number, a missing file', () => {
    expect(errorOf(() => parseReturnsCsv('date,r\n\n', 'f.csv')).message).toBe('f.csv: no data rows');
    expect(errorOf(() => parseReturnsCsv('0.1\n0x10\n', 'f.csv')).message).toBe(
      'f.csv:2: "0x10" in column 1 is not a number',
    );
    const missing = join(directory, 'missing.csv');
    expect(errorOf(() => readReturnsFile(missing)).message).toMatch(
      new RegExp(`^${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot read file`),
    );
  });
});
