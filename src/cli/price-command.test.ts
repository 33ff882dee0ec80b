// `hf price` end to end through commander: the table, the JSON object, model defaults and every bad input.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerPriceCommand } from './price-command.ts';

async function run(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const program = new Command().exitOverride();
  registerPriceCommand(program, { out: (line) => out.push(line), err: (line) => err.push(line) }, (c) => {
    code = c;
  });
  await program.parseAsync(['price', ...args], { from: 'user' });
  return { code, out, err };
}

function row(lines: string[], label: string): string[] {
  const line = lines.find((l) => l.trimStart().startsWith(`${label} `));
  if (line === undefined) throw new Error(`no "${label}" row in:\n${lines.join('\n')}`);
  return line.trim().slice(label.length).trim().split(/\s+/);
}

describe('hf price', () => {
  it('prints a table of price and greeks (Haug: BSM call S=60 K=65 T=0.25 r=8% σ=30% = 2.1334)', async () => {
    const { code, out, err } = await run(
      ...[
        '--type',
        'call',
        '--spot',
        '60',
        '--strike',
        '65',
        '--rate',
        '0.08',
        '--vol',
        '0.3',
        '--t',
        '0.25',
      ],
    );
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out[0]).toBe('european call, Black–Scholes–Merton (bsm)');
    expect(Number(row(out, 'price')[0])).toBeCloseTo(2.1334, 4);
    expect(row(out, 'vega').slice(1).join(' ')).toBe('per 1.00 volatility');
    const theta = Number(row(out, 'theta')[0]);
    expect(row(out, 'theta').slice(1).join(' ')).toBe('per year');
    expect(Number(row(out, 'theta / day')[0])).toBeCloseTo(theta / 365, 6);
    expect(row(out, 'rho').slice(1).join(' ')).toBe('per 1.00 rate');
  });

  it('prints one JSON object with --json (Haug: Garman–Kohlhagen call = 0.0291)', async () => {
    const { code, out } = await run(
      ...['--type', 'call', '--spot', '1.56', '--strike', '1.60', '--rate', '0.06', '--div', '0.08'],
      ...['--vol', '0.12', '--t', '0.5', '--model', 'gk', '--json'],
    );
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const result = JSON.parse(out[0] as string) as Record<string, number | string>;
    expect(result).toMatchObject({
      model: 'gk',
      style: 'european',
      type: 'call',
      dividendYield: 0.08,
      time: 0.5,
    });
    expect(result.price as number).toBeCloseTo(0.0291, 4);
    expect(result.thetaPerDay).toBeCloseTo((result.theta as number) / 365, 12);
    for (const key of ['delta', 'gamma', 'vega', 'theta', 'rho', 'dividendRho'])
      expect(Number.isFinite(result[key])).toBe(true);
  });

  it('prices American options with baw by default and bjs on request', async () => {
    // Haug (1998) p. 24: BAW put S=90 K=100 T=0.5 r=10% b=0 σ=25% = 12.4419.
    const baw = await run(
      ...[
        '--type',
        'put',
        '--style',
        'american',
        '--spot',
        '90',
        '--strike',
        '100',
        '--rate',
        '0.1',
        '--div',
        '0.1',
      ],
      ...['--vol', '0.25', '--t', '0.5', '--json'],
    );
    const bawResult = JSON.parse(baw.out[0] as string) as { model: string; price: number };
    expect(bawResult.model).toBe('baw');
    expect(Math.abs(bawResult.price - 12.4419)).toBeLessThan(3e-3);
    // NAG S30QCF example: Bjerksund–Stensland 2002 call S=110 K=100 T=0.25 σ=20% r=8% q=12% = 10.3340.
    const bjs = await run(
      ...[
        '--type',
        'call',
        '--model',
        'bjs',
        '--spot',
        '110',
        '--strike',
        '100',
        '--rate',
        '0.08',
        '--div',
        '0.12',
      ],
      ...['--vol', '0.2', '--t', '0.25'],
    );
    expect(bjs.out[0]).toBe('american call, Bjerksund–Stensland 2002 (bjs)');
    expect(Number(row(bjs.out, 'price')[0])).toBeCloseTo(10.334, 4);
  });

  it('labels the forward for black76 and accepts a negative rate', async () => {
    const { code, out } = await run(
      ...['--type', 'put', '--model', 'black76', '--spot', '19', '--strike', '19', '--rate', '-0.01'],
      ...['--vol', '0.28', '--t', '0.75'],
    );
    expect(code).toBe(0);
    expect(out[1]).toContain('forward 19');
    expect(out[1]).not.toContain('dividend yield');
    expect(Number(row(out, 'dividend rho')[0])).toBe(0);
  });

  it.each([
    [['--spot', '100', '--strike', '100', '--vol', '0.2', '--t', '1'], 'missing --type'],
    [
      ['--type', 'straddle', '--spot', '100', '--strike', '100', '--vol', '0.2', '--t', '1'],
      '--type must be call, put',
    ],
    [['--type', 'call', '--strike', '100', '--vol', '0.2', '--t', '1'], 'missing --spot'],
    [
      ['--type', 'call', '--spot', 'abc', '--strike', '100', '--vol', '0.2', '--t', '1'],
      '--spot must be a finite number, got "abc"',
    ],
    [
      ['--type', 'call', '--spot', '100', '--strike', '-5', '--vol', '0.2', '--t', '1'],
      '--strike must be above 0',
    ],
    [
      ['--type', 'call', '--spot', '100', '--strike', '100', '--vol', '0', '--t', '1'],
      '--vol must be above 0',
    ],
    [
      ['--type', 'call', '--spot', '100', '--strike', '100', '--vol', '0.2', '--t', 'Infinity'],
      '--t must be a finite number',
    ],
    [
      ['--type', 'call', '--spot', '100', '--strike', '100', '--vol', '0.2', '--t', '1', '--rate', 'NaN'],
      '--rate must be a finite number',
    ],
    [
      ['--type', 'call', '--spot', '100', '--strike', '100', '--vol', '0.2', '--t', '1', '--div', ''],
      '--div must be a finite number',
    ],
    [
      ['--type', 'call', '--spot', '100', '--strike', '100', '--vol', '0.2', '--t', '1', '--model', 'heston'],
      '--model must be bsm, black76, gk, baw, bjs',
    ],
    [
      [
        '--type',
        'call',
        '--style',
        'bermudan',
        '--spot',
        '100',
        '--strike',
        '100',
        '--vol',
        '0.2',
        '--t',
        '1',
      ],
      '--style must be european, american',
    ],
    [
      [
        '--type',
        'call',
        '--style',
        'american',
        '--model',
        'gk',
        '--spot',
        '1',
        '--strike',
        '1',
        '--vol',
        '0.2',
        '--t',
        '1',
      ],
      '--model gk prices european options, not american ones',
    ],
  ])('rejects bad input %j with exit code 2', async (args, message) => {
    const { code, out, err } = await run(...args);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(`hf price: ${message}`);
  });
});
