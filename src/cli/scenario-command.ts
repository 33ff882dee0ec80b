// `hf scenario run [--json]`: the running process's scenario worker values the live book under every scenario of
// configs/scenarios.yaml now (and publishes the report on `scenarios`); `hf scenario list` validates the file and
// lists the scenarios, with nothing running. Embedded: over the local control channel; distributed: `--url` (or
// $HF_WORKERS_URL), the scenario service's health port.

import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../common/errors.ts';
import { loadRegistry } from '../common/registry.ts';
import { ChannelUnavailable } from '../services/control-channel.ts';
import { loadScenarios } from '../services/workers/scenario-config.ts';
import type { ScenarioReport } from '../model/index.ts';
import { callWorkers, WorkerCallError } from './hedge-command.ts';
import { resolvePaths, type CliIo, type CliPaths } from './context.ts';

export interface ScenarioCommandOptions {
  readonly json?: boolean;
  readonly url?: string;
}

function money(value: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export function reportLines(report: ScenarioReport): string[] {
  const at = new Date(Math.floor(report.tsEvent / 1000))
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const lines = [
    `${report.scenarios.length} scenario(s) on ${report.positions} open position(s) at ${at}; PnL in ${report.baseCurrency}`,
  ];
  const width = Math.max(8, ...report.scenarios.map((s) => s.name.length));
  for (const s of report.scenarios) {
    const strategies = Object.entries(s.byStrategy)
      .map(([id, pnl]) => `${id} ${money(pnl)}`)
      .join(', ');
    const worst = s.worstPnl < s.pnl ? `worst along the way ${money(s.worstPnl)}` : '';
    const extras = [strategies, worst].filter((e) => e !== '').join('; ');
    lines.push(`${s.name.padEnd(width)} ${money(s.pnl).padStart(16)}${extras ? `   (${extras})` : ''}`);
    for (const u of s.unmodelled) lines.push(`${' '.repeat(width)}   left out: ${u}`);
  }
  return lines;
}

/** Exit codes: 0 done; 2 no running process, a refused request, or a bad scenarios.yaml (list). */
export async function scenarioCommand(
  paths: CliPaths,
  io: CliIo,
  action: string,
  options: ScenarioCommandOptions,
): Promise<number> {
  if (action === 'list') {
    try {
      const registry = loadRegistry(join(paths.configDir, 'registry.yaml'));
      const setup = loadScenarios(join(paths.configDir, 'scenarios.yaml'), registry);
      if (options.json)
        io.out(JSON.stringify(setup.scenarios.map((s) => ({ name: s.name, description: s.description }))));
      else for (const s of setup.scenarios) io.out(`${s.name}${s.description ? `: ${s.description}` : ''}`);
      return 0;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.err(`hf scenario list: configuration error: ${error.message}`);
      return 2;
    }
  }
  if (action !== 'run') {
    io.err(`hf scenario: expected run or list, got "${action}"`);
    return 2;
  }
  let report: ScenarioReport;
  try {
    report = await callWorkers<ScenarioReport>(
      paths,
      '/scenario/run',
      {},
      options.url ?? process.env.HF_WORKERS_URL,
    );
  } catch (error) {
    if (error instanceof ChannelUnavailable) {
      io.err(
        'hf scenario run: no running process (start one with hf run, or give --url for the distributed deployment)',
      );
      return 2;
    }
    if (error instanceof WorkerCallError) {
      io.err(`hf scenario run: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (options.json) io.out(JSON.stringify(report));
  else for (const line of reportLines(report)) io.out(line);
  return 0;
}

export function registerScenarioCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('scenario')
    .description('stress scenarios of configs/scenarios.yaml: run them on the live book now, or list them')
    .argument('<action>', 'run | list')
    .option('--json', 'print JSON')
    .option('--url <base>', 'distributed deployment: the scenario service (default: $HF_WORKERS_URL)')
    .action(async (action: string, options: ScenarioCommandOptions, command: Command) => {
      const globals = command.optsWithGlobals<{ home?: string; config?: string }>();
      const paths = resolvePaths({
        ...(globals.home !== undefined ? { home: globals.home } : {}),
        ...(globals.config !== undefined ? { config: globals.config } : {}),
      });
      setExit(await scenarioCommand(paths, io, action, options));
    });
}
