// Seeded pseudo-random numbers (mulberry32): one seed reproduces a paper venue's run exactly.

export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    // Any number is a valid seed; non-integers and non-finite values are folded into 32 bits.
    this.state = Number.isFinite(seed) ? Math.trunc(seed) >>> 0 : 0x9e3779b9;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, bound); 0 when bound ≤ 1. */
  nextInt(bound: number): number {
    if (!(bound > 1)) return 0;
    return Math.floor(this.next() * bound);
  }
}
