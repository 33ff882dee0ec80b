// `hf hedge flatten` in process against a running kernel's control channel (a Unix socket in a temporary home):
// the dry run, one strategy flattened, the whole runbook by hand, and the errors (nothing running, bad flags).

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../common/logging.ts';
import { ControlKeys } from '../common/topics.ts';
import { buildApi } from '../services/api.ts';
import { startBreachRunbook } from '../services/workers/breach.ts';
import { BreachConfigSchema } from '../services/workers/config.ts';
import { AAPL, JPM, MSFT, paperStack, type PaperStack } from '../services/workers/stack.test-support.ts';
import { registerHedgeCommand } from './hedge-command.ts';

let stack: PaperStack;
let channel: FastifyInstance;
let home: string;

beforeAll(async () => {
  stack = await paperStack();
  home = mkdtempSync(join(tmpdir(), 'hf-hedge-cli-'));
  const breach = startBreachRunbook(
    stack.kernel.bus,
    stack.clock,
    BreachConfigSchema.parse({}),
    silentLogger,
    {
      hedger: stack.hedger,
      book: stack.book,
      incidentDir: join(home, 'runbooks', 'incidents'),
    },
  );
  channel = buildApi(stack.kernel, {
    allowControl: true,
    access: { mode: 'trusted' },
    workers: { hedger: stack.hedger, breach },
  });
  await channel.listen({ path: join(home, 'control.sock') });
});

afterAll(async () => {
  await channel.close();
  await stack.close();
});

async function hf(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = -1;
  const program = new Command('hf').option('--home <dir>').option('--config <dir>').exitOverride();
  registerHedgeCommand(program, { out: (l) => out.push(l), err: (l) => err.push(l) }, (c) => {
    code = c;
  });
  await program.parseAsync(args, { from: 'user' });
  return { code, out, err };
}

describe('hf hedge flatten', () => {
  it('shows the orders of a flatten with --dry-run, sending nothing', async () => {
    const r = await hf('--home', home, 'hedge', 'flatten', '--dry-run');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    // Marks are the quote mids: AAPL 100.01 × 0.995 = 99.50995 → 99.50; JPM 150.02 → 149.26;
    // MSFT 300.03 × 1.005 = 301.53015 → 301.54 (a buy rounds up).
    expect(r.out).toEqual([
      `would sell 1000 ${AAPL} for alpha (limit 99.5, IOC, reduce-only)`,
      `would sell 100 ${JPM} for beta (limit 149.26, IOC, reduce-only)`,
      `would buy 200 ${MSFT} for alpha (limit 301.54, IOC, reduce-only)`,
    ]);
    expect(stack.kernel.ledger.ledger.quantity(AAPL)).toBe(1500);
  });

  it('flattens one strategy, its resting order cancelled first', async () => {
    const r = await hf('--home', home, 'hedge', 'flatten', '--strategy', 'beta');
    expect(r.err).toEqual([]);
    expect(r.out).toEqual([
      'cancelled 1 open order(s) first',
      `pass 1: sell 100 ${JPM} for beta (limit 149.26): filled 100 @ 150`,
      'strategy beta: flat',
    ]);
    expect(r.code).toBe(0);
    expect(stack.kernel.ledger.ledger.quantity(JPM)).toBe(0);
    expect(stack.kernel.ledger.ledger.quantity(AAPL)).toBe(1500);
  });

  it('runs the whole risk-breach runbook by hand with --runbook', async () => {
    const r = await hf('--home', home, 'hedge', 'flatten', '--runbook', '--json');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const incident = JSON.parse(r.out[0]!) as {
      reason: string;
      files: { summary: string };
      after: { positions: unknown[] };
    };
    expect(incident.reason).toBe('manual runbook');
    expect(incident.after.positions).toEqual([]);
    expect(existsSync(incident.files.summary)).toBe(true);
    expect(stack.kernel.bus.control.get(ControlKeys.killSwitch, 'enabled')).toBe('true');
    expect([AAPL, MSFT, JPM].map((id) => stack.kernel.ledger.ledger.quantity(id))).toEqual([0, 0, 0]);
  });

  it('exits 2 with nothing running, on bad flags and on an unknown action', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hf-hedge-none-'));
    const none = await hf('--home', empty, 'hedge', 'flatten');
    expect(none.code).toBe(2);
    expect(none.err).toEqual([
      'hf hedge flatten: no running process (start one with hf run, or give --url for the distributed deployment)',
    ]);
    const both = await hf('--home', home, 'hedge', 'flatten', '--runbook', '--strategy', 'alpha');
    expect(both.code).toBe(2);
    expect(both.err).toEqual(['hf hedge flatten: --runbook flattens every strategy; leave out --strategy']);
    const action = await hf('--home', home, 'hedge', 'close');
    expect(action).toMatchObject({ code: 2, err: ['hf hedge: expected flatten, got "close"'] });
  });
});
