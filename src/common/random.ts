// Seeded pseudo-random numbers (mulberry32 uniforms, Box–Muller normals): one seed reproduces a run of the
// synthetic market, the paper venues' latency and anything else simulated.

/**
 * mulberry32: a 32-bit state generator, period 2^32, fast and good enough for simulation (not for
 * cryptography).
 */
export class SeededRandom {
  private state: number;
  private spareNormal = 0;
  private hasSpare = false;

  constructor(seed: number) {
    // Mix the seed once so nearby seeds (1, 2, 3) start far apart; non-finite seeds fold to a constant.
    this.state = SeededRandom.mix(Number.isFinite(seed) ? Math.trunc(seed) >>> 0 : 0x9e3779b9);
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in the open interval (0, 1): never 0, so `Math.log` of it is always finite. */
  uniform(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  integer(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Uniform integer in [0, bound); 0 when bound ≤ 1. */
  nextInt(bound: number): number {
    if (!(bound > 1)) return 0;
    return Math.floor(this.next() * bound);
  }

  /** Standard normal (Box–Muller); the second value of each pair is kept for the next call. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spareNormal;
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spareNormal = radius * Math.sin(angle);
    this.hasSpare = true;
    return radius * Math.cos(angle);
  }

  private static mix(x: number): number {
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
    return (x ^ (x >>> 16)) | 0;
  }
}
