// Covariance of return series: the batch sample estimate, a semi-definite-tolerant Cholesky factor, and the
// rolling window of sampled returns the live VaR keeps (covariance maintained incrementally).

import { VarInputError, selectInPlace, type ReturnValues } from './var.ts';

/** Sample means and covariance (divisor n − 1, row-major n×n) of equal-length columns. */
export function sampleCovariance(columns: readonly ReturnValues[]): {
  readonly mean: Float64Array;
  readonly covariance: Float64Array;
} {
  const n = columns.length;
  const length = columns[0]?.length ?? 0;
  if (length < 2) throw new VarInputError(`a covariance needs at least 2 returns per series, got ${length}`);
  const mean = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const column = columns[i]!;
    if (column.length !== length)
      throw new VarInputError(`series ${i + 1} has ${column.length} returns, series 1 has ${length}`);
    let sum = 0;
    for (let t = 0; t < length; t++) sum += column[t]!;
    mean[i] = sum / length;
  }
  const covariance = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = columns[i]!;
    const meanA = mean[i]!;
    for (let j = 0; j <= i; j++) {
      const b = columns[j]!;
      const meanB = mean[j]!;
      let sum = 0;
      for (let t = 0; t < length; t++) sum += (a[t]! - meanA) * (b[t]! - meanB);
      const value = sum / (length - 1);
      covariance[i * n + j] = value;
      covariance[j * n + i] = value;
    }
  }
  if (!covariance.every(Number.isFinite))
    throw new VarInputError('the covariance is not finite: a return is too large or not a number');
  return { mean, covariance };
}

export interface CholeskyResult {
  /** Lower-triangular L (row-major n×n) with L·Lᵀ = the covariance. */
  readonly factor: Float64Array;
  /** Independent factors; n − rank columns of L are zero. */
  readonly rank: number;
  /** 0-based indexes of the factors that are (numerically) combinations of earlier ones. */
  readonly dependent: readonly number[];
}

/**
 * Cholesky factor of a symmetric positive semi-definite matrix. A sample covariance is singular whenever two
 * series are collinear or there are fewer returns than series: a pivot within 1e-10 × the largest variance
 * of zero is taken as zero and its column left empty (the documented fallback, exact for a semi-definite
 * matrix: that factor is then simulated as a combination of the others). A pivot clearly below zero means the
 * matrix is not a covariance: VarInputError.
 */
export function choleskyFactor(matrix: Float64Array, n: number): CholeskyResult {
  if (matrix.length !== n * n)
    throw new VarInputError(`expected a ${n}×${n} matrix, got ${matrix.length} values`);
  let largest = 0;
  for (let i = 0; i < n; i++) {
    const diagonal = matrix[i * n + i]!;
    if (!Number.isFinite(diagonal) || diagonal < 0)
      throw new VarInputError(`variance ${i + 1} is ${diagonal}: not a covariance matrix`);
    if (diagonal > largest) largest = diagonal;
    for (let j = 0; j < i; j++) {
      const a = matrix[i * n + j]!;
      const b = matrix[j * n + i]!;
      if (!Number.isFinite(a) || Math.abs(a - b) > 1e-12 * (Math.abs(a) + Math.abs(b) + largest))
        throw new VarInputError(`covariance (${i + 1}, ${j + 1}) is ${a} but (${j + 1}, ${i + 1}) is ${b}`);
    }
  }
  const tolerance = 1e-10 * largest;
  const factor = new Float64Array(n * n);
  const dependent: number[] = [];
  for (let j = 0; j < n; j++) {
    let pivot = matrix[j * n + j]!;
    for (let k = 0; k < j; k++) pivot -= factor[j * n + k]! * factor[j * n + k]!;
    if (pivot < -tolerance * n)
      throw new VarInputError(
        `the covariance is not positive semi-definite (pivot ${pivot.toExponential(3)} at factor ${j + 1})`,
      );
    if (pivot <= tolerance) {
      dependent.push(j);
      continue;
    }
    const root = Math.sqrt(pivot);
    factor[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let sum = matrix[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= factor[i * n + k]! * factor[j * n + k]!;
      factor[i * n + j] = sum / root;
    }
  }
  return { factor, rank: n - dependent.length, dependent };
}

/**
 * A ring of the last `capacity` sampled return rows of `instruments` instruments, column-major (instrument j,
 * slot t at j·capacity + t) so one instrument's returns are contiguous. A missing return (no price at one end
 * of the interval) is stored as 0 and not counted as history for its instrument. Σ r and Σ rᵢrⱼ over the
 * window are kept as rows enter and leave (O(n²) per row), and rebuilt from the rows every `capacity` pushes
 * so rounding does not accumulate.
 */
export class RollingReturnWindow {
  readonly returns: Float64Array;
  readonly valid: Uint8Array;
  /** Time between each row's sample and the previous one (µs), for the horizon scaling. */
  readonly spacing: Float64Array;
  /** Rows held (≤ capacity) and the slot the next row goes to. */
  rows = 0;
  next = 0;
  /** Rows pushed since the start. */
  pushed = 0;
  private readonly sums: Float64Array;
  private readonly products: Float64Array;
  private readonly validCounts: Int32Array;
  private readonly scratch: Float64Array;

  constructor(
    readonly instruments: number,
    readonly capacity: number,
  ) {
    this.returns = new Float64Array(instruments * capacity);
    this.valid = new Uint8Array(instruments * capacity);
    this.spacing = new Float64Array(capacity);
    this.sums = new Float64Array(instruments);
    this.products = new Float64Array(instruments * instruments);
    this.validCounts = new Int32Array(instruments);
    this.scratch = new Float64Array(capacity);
  }

  /** Appends a row (replacing the oldest when full); returns the slot written. */
  push(row: Float64Array, rowValid: Uint8Array, spacing: number): number {
    const n = this.instruments;
    const capacity = this.capacity;
    const slot = this.next;
    const returns = this.returns;
    if (this.rows === capacity) this.accumulate(slot, -1);
    for (let j = 0; j < n; j++) {
      const at = j * capacity + slot;
      if (this.rows === capacity && this.valid[at] === 1) this.validCounts[j] = this.validCounts[j]! - 1;
      const ok = rowValid[j] === 1;
      returns[at] = ok ? row[j]! : 0;
      this.valid[at] = ok ? 1 : 0;
      if (ok) this.validCounts[j] = this.validCounts[j]! + 1;
    }
    this.spacing[slot] = spacing;
    if (this.rows < capacity) this.rows++;
    this.next = slot + 1 === capacity ? 0 : slot + 1;
    this.pushed++;
    if (this.pushed % capacity === 0) this.rebuild();
    else this.accumulate(slot, 1);
    return slot;
  }

  /** Returns of instrument j with a price at both ends, among the rows held. */
  validCount(j: number): number {
    return this.validCounts[j]!;
  }

  /** Sample covariance (n − 1) of the rows held, into `out` (n×n row-major). Zero below 2 rows. */
  covariance(out: Float64Array): void {
    const n = this.instruments;
    const m = this.rows;
    if (m < 2) {
      out.fill(0);
      return;
    }
    for (let i = 0; i < n; i++) {
      const si = this.sums[i]!;
      for (let j = 0; j <= i; j++) {
        let value = (this.products[i * n + j]! - (si * this.sums[j]!) / m) / (m - 1);
        // Running sums can leave a variance a rounding error below zero.
        if (i === j && value < 0) value = 0;
        out[i * n + j] = value;
        out[j * n + i] = value;
      }
    }
  }

  /** Median time between samples over the rows held (µs); 0 with no rows. O(rows). */
  medianSpacing(): number {
    const m = this.rows;
    if (m === 0) return 0;
    const scratch = this.scratch;
    for (let t = 0; t < m; t++) scratch[t] = this.spacing[t]!;
    const upper = selectInPlace(scratch, m, m >> 1);
    if (m % 2 === 1) return upper;
    // The lower middle is the largest of what selection left below the upper one.
    let lower = scratch[0]!;
    for (let t = 1; t < m >> 1; t++) if (scratch[t]! > lower) lower = scratch[t]!;
    return (lower + upper) / 2;
  }

  private accumulate(slot: number, sign: number): void {
    const n = this.instruments;
    const capacity = this.capacity;
    const returns = this.returns;
    const sums = this.sums;
    const products = this.products;
    for (let i = 0; i < n; i++) {
      const ri = returns[i * capacity + slot]!;
      if (ri === 0) continue;
      sums[i] = sums[i]! + sign * ri;
      const signed = sign * ri;
      for (let j = 0; j <= i; j++)
        products[i * n + j] = products[i * n + j]! + signed * returns[j * capacity + slot]!;
    }
  }

  private rebuild(): void {
    this.sums.fill(0);
    this.products.fill(0);
    for (let t = 0; t < this.rows; t++) this.accumulate(t, 1);
  }
}
