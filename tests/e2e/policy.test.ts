// Runbook 4.2, policy changes during market hours: `hf policy set` against a running `hf run` — validated, applied
// without a restart, the next orders judged by the new rule, versioned (`hf policy history`, `hf policy rollback`);
// a value of the wrong type, and a broken edit made straight in the file, change nothing that runs.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callChannel } from '../../src/services/control-channel.ts';
import { ROOT, runHf, spawnHf, tempHome, waitFor } from '../helpers.ts';

interface Summary {
  denials: Record<string, number>;
}

describe('hf policy', () => {
  it('changes the policy of a running process without a restart, versioned, and refuses bad values', async () => {
    const config = mkdtempSync(join(tmpdir(), 'hf-policy-config-'));
    cpSync(join(ROOT, 'configs'), config, { recursive: true });
    const home = tempHome();
    const socket = join(home, 'control.sock');
    const run = spawnHf([
      '--home',
      home,
      '--config',
      config,
      'run',
      '--duration',
      '180',
      '--no-api',
      '--no-ws',
      '--quiet',
    ]);
    try {
      await waitFor(
        async () => callChannel<Summary>(socket, 'GET', '/api/summary').catch(() => undefined),
        'hf run to answer',
        30_000,
      );
      const policyFile = join(config, 'policy.yaml');
      const original = readFileSync(policyFile, 'utf8');

      // A value of the wrong type: refused before anything is written.
      const bad = await runHf([
        '--home',
        home,
        '--config',
        config,
        'policy',
        'set',
        'policy.restrictedInstruments',
        '5',
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/refused, nothing changed: .*policy\.yaml: restrictedInstruments/);
      expect(readFileSync(policyFile, 'utf8')).toBe(original);

      // MSFT (quoted all the time by mm-msft) restricted: applied by the running process, its next orders denied.
      const set = await runHf([
        '--home',
        home,
        '--config',
        config,
        'policy',
        'set',
        'policy.restrictedInstruments',
        '[MSFT]',
      ]);
      const returned = Date.now();
      expect(set.stderr).toBe('');
      expect(set.stdout).toMatch(/applied by the running process as version 3/);
      expect(readFileSync(policyFile, 'utf8')).toMatch(/restrictedInstruments:[^\n]*\n?[^\n]*MSFT/);
      await waitFor(
        async () => {
          const s = await callChannel<Summary>(socket, 'GET', '/api/summary');
          return (s.denials.RISK_RESTRICTED_INSTRUMENT ?? 0) > 0 ? true : undefined;
        },
        'orders denied RISK_RESTRICTED_INSTRUMENT',
        90_000,
      );
      // From a second after the command returned, no MSFT order reached the OMS (only validated orders do), while
      // MSFT orders kept coming and being denied.
      await new Promise((r) => setTimeout(r, Math.max(0, returned + 1000 - Date.now())));
      const deniedAt = async () =>
        (await callChannel<Summary>(socket, 'GET', '/api/summary')).denials.RISK_RESTRICTED_INSTRUMENT ?? 0;
      const before = await deniedAt();
      await waitFor(
        async () => ((await deniedAt()) > before ? true : undefined),
        'later MSFT denials',
        60_000,
      );
      type Row = { instrumentId: string; tsInit: number };
      const orders = await callChannel<Row[]>(socket, 'GET', '/api/orders?status=all&limit=10000');
      expect(orders.length).toBeGreaterThan(0);
      expect(
        orders.filter((o) => o.instrumentId.startsWith('MSFT.') && o.tsInit > (returned + 1000) * 1000),
      ).toEqual([]);

      // A broken edit straight in the file: the watcher refuses it, the running policy stays (no new version).
      writeFileSync(policyFile, 'restrictedInstruments: [unclosed\n');
      await new Promise((r) => setTimeout(r, 600));
      const history = await runHf(['--home', home, 'policy', 'history']);
      const versions = history.stdout.trim().split('\n');
      expect(versions.map((line) => line.trim().split(/\s+/).at(-1))).toEqual(['start', 'start', 'set']);
      // Who and what: the operator on the control socket, the key's old and new value.
      expect(versions[2]).toMatch(
        /^3 {2}policy\.yaml {2}\S+ {2}local:\S+ {2}restrictedInstruments: \[\] → \["MSFT"\] {2}set$/,
      );

      // Roll back to the policy the process started with (version 2: policy.yaml at start).
      const rollback = await runHf(['--home', home, 'policy', 'rollback', '2']);
      expect(rollback.stdout).toMatch(/policy\.yaml version 2 written back and applied as version 4/);
      expect(readFileSync(policyFile, 'utf8')).toBe(original);
      const show = await runHf(['--home', home, '--config', config, 'policy', 'show']);
      expect(show.stdout).toMatch(/# policy\.yaml: version 4 in force/);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      // The versions outlive the process: kept in the home's store, read without a running process.
      const kept = await runHf(['--home', home, 'policy', 'history']);
      expect(
        kept.stdout
          .trim()
          .split('\n')
          .map((line) => line.split('  ')[0]),
      ).toEqual(['1', '2', '3', '4']);
      expect(kept.stdout).toMatch(
        /^4 {2}policy\.yaml {2}\S+ {2}local:\S+ {2}restrictedInstruments: \["MSFT"\] → \[\] {2}rollback$/m,
      );
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGTERM');
      await run.exited;
    }
  }, 180_000);
});
