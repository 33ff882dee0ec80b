// Standard normal density and distribution (Cody's rational approximations, double precision in the tails)
// and the bivariate normal distribution (Genz's double-precision Drezner–Wesolowsky quadrature).

const SQRT_HALF = Math.SQRT1_2;
const INVERSE_SQRT_TWO_PI = 0.3989422804014327;
const INVERSE_SQRT_PI = 0.5641895835477563;
const TWO_PI = 2 * Math.PI;
/** Beyond this |x| the tail is below the smallest double (Φ(−38.5) ≈ 1e-324). */
const TAIL_LIMIT = 38.5;

// W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969) 631–637,
// coefficients as published in the SPECFUN routine CALERF (netlib). erf on |y| ≤ 0.46875:
const ERF_A = [
  3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315,
] as const;
const ERF_B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171] as const;
// erfc(y)·exp(y²) on 0.46875 < y ≤ 4:
const ERFC_C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769,
  1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
] as const;
const ERFC_D = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597,
  4362.619090143247, 3439.3676741437216, 1230.3393548037495,
] as const;
// erfc(y)·exp(y²)·y on y > 4, in 1/y²:
const ERFC_P = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 0.0006587491615298378,
  0.016315387137302097,
] as const;
const ERFC_Q = [
  2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918,
] as const;

/**
 * exp(−x²/2) for x ≥ 0 without the rounding error of x² (which the exponential would magnify by x²/2 in the
 * tail): x is split into a part with few bits, whose square is exact, and a small remainder (Cody's trick).
 * Below 2 the magnification is at most 2 ulps and one exponential is enough.
 */
function halfSquareExp(x: number): number {
  if (x < 2) return Math.exp(-0.5 * x * x);
  const head = Math.trunc(x * 16) / 16;
  const remainder = (x - head) * (x + head);
  return Math.exp(-0.5 * head * head) * Math.exp(-0.5 * remainder);
}

/** The standard normal density φ(x). */
export function normalPdf(x: number): number {
  const a = Math.abs(x);
  if (a > 40) return a === a ? 0 : Number.NaN;
  return INVERSE_SQRT_TWO_PI * halfSquareExp(a);
}

/** The upper tail Q(a) = 1 − Φ(a) for a > 0.46875·√2: erfc(a/√2)/2 with erfc's exponential taken from a. */
function upperTail(a: number): number {
  const y = a * SQRT_HALF;
  let rational: number;
  if (y <= 4) {
    let numerator = ERFC_C[8] * y;
    let denominator = y;
    for (let i = 0; i < 7; i++) {
      numerator = (numerator + (ERFC_C[i] as number)) * y;
      denominator = (denominator + (ERFC_D[i] as number)) * y;
    }
    rational = (numerator + ERFC_C[7]) / (denominator + ERFC_D[7]);
  } else {
    const inverseSquare = 1 / (y * y);
    let numerator = ERFC_P[5] * inverseSquare;
    let denominator = inverseSquare;
    for (let i = 0; i < 4; i++) {
      numerator = (numerator + (ERFC_P[i] as number)) * inverseSquare;
      denominator = (denominator + (ERFC_Q[i] as number)) * inverseSquare;
    }
    rational = (inverseSquare * (numerator + ERFC_P[4])) / (denominator + ERFC_Q[4]);
    rational = (INVERSE_SQRT_PI - rational) / y;
  }
  return 0.5 * halfSquareExp(a) * rational;
}

/**
 * The standard normal distribution Φ(x) = P(Z ≤ x). Relative error near 1e-15 across the range, tails
 * included (Φ(−37) ≈ 5.7e-300 is returned to full precision); 0 below −38.5, 1 above.
 */
export function normalCdf(x: number): number {
  const a = Math.abs(x);
  if (a <= 0.46875 * Math.SQRT2) {
    const y = x * SQRT_HALF;
    const square = y * y;
    let numerator = ERF_A[4] * square;
    let denominator = square;
    for (let i = 0; i < 3; i++) {
      numerator = (numerator + (ERF_A[i] as number)) * square;
      denominator = (denominator + (ERF_B[i] as number)) * square;
    }
    const erf = (y * (numerator + ERF_A[3])) / (denominator + ERF_B[3]);
    return 0.5 + 0.5 * erf;
  }
  if (a > TAIL_LIMIT) {
    if (a !== a) return Number.NaN;
    return x < 0 ? 0 : 1;
  }
  const tail = upperTail(a);
  return x < 0 ? tail : 1 - tail;
}

// Gauss–Legendre abscissae (negative half) and weights for 6, 12 and 20 points, as tabulated in Genz's BVND.
const LEGENDRE_X = [
  [-0.9324695142031522, -0.6612093864662647, -0.238619186083197],
  [
    -0.9815606342467191, -0.904117256370475, -0.769902674194305, -0.5873179542866171, -0.3678314989981802,
    -0.1252334085114692,
  ],
  [
    -0.9931285991850949, -0.9639719272779138, -0.912234428251326, -0.8391169718222188, -0.7463319064601508,
    -0.636053680726515, -0.5108670019508271, -0.3737060887154196, -0.2277858511416451, -0.07652652113349732,
  ],
] as const;
const LEGENDRE_W = [
  [0.1713244923791705, 0.3607615730481384, 0.4679139345726904],
  [
    0.04717533638651177, 0.1069393259953183, 0.1600783285433464, 0.2031674267230659, 0.2334925365383547,
    0.2491470458134029,
  ],
  [
    0.01761400713915212, 0.04060142980038694, 0.06267204833410905, 0.08327674157670475, 0.1019301198172404,
    0.1181945319615184, 0.1316886384491766, 0.1420961093183821, 0.1491729864726037, 0.1527533871307259,
  ],
] as const;

/**
 * sin(asin(r)·(1 ∓ xᵢ)/2) and 1/(1 − sin²) at every quadrature node, for the last two correlations seen:
 * Bjerksund–Stensland asks for ±one correlation thousands of times, and the sines are half the cost.
 */
const sineCorrelations = [Number.NaN, Number.NaN];
const sineTables = [new Float64Array(40), new Float64Array(40)];
let nextSineSlot = 0;

function quadratureSines(r: number, xs: readonly number[]): Float64Array {
  if (sineCorrelations[0] === r) return sineTables[0] as Float64Array;
  if (sineCorrelations[1] === r) return sineTables[1] as Float64Array;
  const slot = nextSineSlot;
  nextSineSlot = 1 - slot;
  const table = sineTables[slot] as Float64Array;
  const asr = Math.asin(r);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as number;
    const below = Math.sin((asr * (1 - x)) / 2);
    const above = Math.sin((asr * (1 + x)) / 2);
    table[4 * i] = below;
    table[4 * i + 1] = 1 / (1 - below * below);
    table[4 * i + 2] = above;
    table[4 * i + 3] = 1 / (1 - above * above);
  }
  sineCorrelations[slot] = r;
  return table;
}

/** P(X > h, Y > k) for standard normals with correlation r (Genz 2004, after Drezner & Wesolowsky 1989). */
function upperBivariate(h: number, k: number, r: number): number {
  const absR = Math.abs(r);
  const grid = absR < 0.3 ? 0 : absR < 0.75 ? 1 : 2;
  const xs = LEGENDRE_X[grid];
  const ws = LEGENDRE_W[grid];
  let hk = h * k;
  let sum = 0;
  if (absR < 0.925) {
    if (absR > 0) {
      const hs = (h * h + k * k) / 2;
      const sines = quadratureSines(r, xs);
      for (let i = 0; i < xs.length; i++) {
        const w = ws[i] as number;
        sum +=
          w *
          (Math.exp(((sines[4 * i] as number) * hk - hs) * (sines[4 * i + 1] as number)) +
            Math.exp(((sines[4 * i + 2] as number) * hk - hs) * (sines[4 * i + 3] as number)));
      }
      sum = (sum * Math.asin(r)) / (2 * TWO_PI);
    }
    return sum + normalCdf(-h) * normalCdf(-k);
  }
  if (r < 0) {
    k = -k;
    hk = -hk;
  }
  if (absR < 1) {
    const as = (1 - r) * (1 + r);
    let a = Math.sqrt(as);
    const bs = (h - k) * (h - k);
    const c = (4 - hk) / 8;
    const d = (12 - hk) / 16;
    let asr = -(bs / as + hk) / 2;
    if (asr > -100)
      sum = a * Math.exp(asr) * (1 - (c * (bs - as) * (1 - (d * bs) / 5)) / 3 + (c * d * as * as) / 5);
    if (-hk < 100) {
      const b = Math.sqrt(bs);
      sum -=
        Math.exp(-hk / 2) *
        Math.sqrt(TWO_PI) *
        normalCdf(-b / a) *
        b *
        (1 - (c * bs * (1 - (d * bs) / 5)) / 3);
    }
    a /= 2;
    for (let i = 0; i < xs.length; i++) {
      const w = ws[i] as number;
      for (let side = -1; side <= 1; side += 2) {
        const root = a * (side * (xs[i] as number) + 1);
        const xsq = root * root;
        const rs = Math.sqrt(1 - xsq);
        asr = -(bs / xsq + hk) / 2;
        if (asr > -100)
          sum +=
            a *
            w *
            Math.exp(asr) *
            (Math.exp((-hk * (1 - rs)) / (2 * (1 + rs))) / rs - (1 + c * xsq * (1 + d * xsq)));
      }
    }
    sum = -sum / TWO_PI;
  }
  if (r > 0) return sum + normalCdf(-Math.max(h, k));
  sum = -sum;
  if (k > h) sum += h < 0 ? normalCdf(k) - normalCdf(h) : normalCdf(-h) - normalCdf(-k);
  return sum;
}

/**
 * The bivariate standard normal distribution M(a, b; ρ) = P(X ≤ a, Y ≤ b) with correlation ρ ∈ [−1, 1]
 * (absolute error about 1e-15).
 */
export function bivariateNormalCdf(a: number, b: number, rho: number): number {
  if (a === Number.NEGATIVE_INFINITY || b === Number.NEGATIVE_INFINITY) return 0;
  if (a === Number.POSITIVE_INFINITY) return normalCdf(b);
  if (b === Number.POSITIVE_INFINITY) return normalCdf(a);
  const value = upperBivariate(-a, -b, rho);
  // Quadrature noise can leave a value a few ulps outside [0, 1] (or at −0).
  if (!(value > 0)) return value === value ? 0 : value;
  return value > 1 ? 1 : value;
}
