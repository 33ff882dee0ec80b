// Reading a periodic return series from a CSV file: optional header row, optional leading date column.
//
// Format: one period per line, fields separated by commas (or tabs, or semicolons when the first line has no
// comma). The first line is a header when none of its fields is a number. The file has a leading label column
// (usually a date) when the first field of the first data row is not a number; the other fields are the
// numeric columns, numbered from 1 (so a label column of plain numbers, such as years, counts as numeric). Returns are read as fractions (0.01 = 1 %) whatever the header says:
// a file in percent must be converted first. Blank lines and lines starting with `#` are skipped.

import { readFileSync } from 'node:fs';

/** A problem in a returns file: names the file, the line (1-based; 0 for the whole file) and the problem. */
export class ReturnsFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`);
    this.name = 'ReturnsFileError';
  }
}

export interface ReturnsFileOptions {
  /** Which numeric column to read, 1-based, the label column not counted; default 1. */
  readonly column?: number;
}

export interface ReturnsSeries {
  readonly file: string;
  readonly values: Float64Array;
  /** The leading label (date) of each row, when the file has a label column. */
  readonly labels: readonly string[] | null;
  /** The numeric column read, 1-based. */
  readonly column: number;
  /** Its header name, when the file has a header row. */
  readonly columnName: string | null;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function isNumber(field: string): boolean {
  return NUMBER.test(field);
}

function unquote(field: string): string {
  const trimmed = field.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1).trim()
    : trimmed;
}

function delimiterOf(line: string): string {
  if (line.includes(',')) return ',';
  if (line.includes('\t')) return '\t';
  if (line.includes(';')) return ';';
  return ',';
}

/** Parses the text of a returns CSV; `file` only names the source in errors. */
export function parseReturnsCsv(text: string, file: string, options: ReturnsFileOptions = {}): ReturnsSeries {
  const column = options.column ?? 1;
  if (!Number.isInteger(column) || column < 1)
    throw new ReturnsFileError(file, 0, `column must be an integer ≥ 1, got ${column}`);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  let delimiter: string | undefined;
  let header: string[] | null = null;
  let labelColumns = -1; // 1 with a leading label column, 0 without; -1 until the first data row
  const values: number[] = [];
  const labels: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index] ?? '';
    const lineNumber = index + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    delimiter ??= delimiterOf(raw);
    const fields = raw.split(delimiter).map(unquote);
    if (labelColumns < 0) {
      if (header === null && !fields.some(isNumber)) {
        header = fields;
        continue;
      }
      labelColumns = isNumber(fields[0] ?? '') ? 0 : 1;
      const numericColumns = fields.length - labelColumns;
      if (column > numericColumns)
        throw new ReturnsFileError(
          file,
          lineNumber,
          `column ${column} requested but the first data row has ${numericColumns} numeric column${numericColumns === 1 ? '' : 's'}`,
        );
    }
    const field = fields[labelColumns + column - 1];
    if (field === undefined)
      throw new ReturnsFileError(
        file,
        lineNumber,
        `no value in column ${column}: the row has ${fields.length} field${fields.length === 1 ? '' : 's'}`,
      );
    if (!isNumber(field))
      throw new ReturnsFileError(
        file,
        lineNumber,
        field === '' ? `column ${column} is empty` : `"${field}" in column ${column} is not a number`,
      );
    const value = Number(field);
    if (!Number.isFinite(value))
      throw new ReturnsFileError(file, lineNumber, `"${field}" in column ${column} is out of range`);
    if (value < -1)
      throw new ReturnsFileError(
        file,
        lineNumber,
        `return ${field} is a loss of more than 100 % (returns are fractions: 0.01 = 1 %)`,
      );
    values.push(value);
    if (labelColumns === 1) labels.push(fields[0] ?? '');
  }
  if (values.length === 0) throw new ReturnsFileError(file, 0, 'no data rows');
  const name = header?.[Math.max(labelColumns, 0) + column - 1];
  return {
    file,
    values: Float64Array.from(values),
    labels: labelColumns === 1 ? labels : null,
    column,
    columnName: name === undefined || name === '' ? null : name,
  };
}

/** Reads and parses a returns CSV file. */
export function readReturnsFile(file: string, options: ReturnsFileOptions = {}): ReturnsSeries {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ReturnsFileError(file, 0, `cannot read file: ${(error as Error).message}`);
  }
  return parseReturnsCsv(text, file, options);
}
