// The `hf` command line: every runbook action has a command here.

import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError } from '../common/errors.ts';
import { resolvePaths, processIo, type CliIo } from './context.ts';
import {
  feedCommand,
  tradingStateCommand,
  killSwitchCommand,
  reconcileCommand,
  routeOverrideCommand,
  strategyCommand,
} from './control-commands.ts';
import { registerBacktestCommand } from './backtest-command.ts';
import { registerHedgeCommand } from './hedge-command.ts';
import { registerPolicyCommand } from './policy-command.ts';
import { registerPriceCommand } from './price-command.ts';
import { registerReportCommand } from './report-command.ts';
import { registerRiskCommand } from './risk-command.ts';
import { registerScenarioCommand } from './scenario-command.ts';
import { registerStatsCommand } from './stats-command.ts';
import { registerTcaCommand } from './tca-command.ts';
import { registerUserCommand } from './user-command.ts';
import { reconcileDayCommand } from './reconcile-day.ts';
import { runCommand } from './run.ts';
import { migrateCommand, SERVICES, serviceCommand } from './service.ts';

function integer(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
}

function number(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${name} must be a number ≥ ${min}`);
    return n;
  };
}

interface GlobalOptions {
  home?: string;
  config?: string;
}

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('hf')
    .description('Hedge fund platform: run the stack and operate it')
    .option(
      '--home <dir>',
      'platform home: sessions, control state, control socket (default: $HF_HOME or ./.hf)',
    )
    .option('--config <dir>', 'configuration folder (default: $HF_CONFIG_DIR or ./configs)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const paths = () => resolvePaths(program.opts<GlobalOptions>());

  program
    .command('run')
    .description(
      'run the whole stack in one process on the embedded deployment (paper trading, synthetic market)',
    )
    .option(
      '--duration <seconds>',
      'stop after this many seconds (0 = until Ctrl-C)',
      number('duration', 0),
      0,
    )
    .option('--seed <n>', 'seed of the synthetic market and the paper venues', integer('seed', 0), 42)
    .option('--port <port>', 'API port', integer('port', 0), 8000)
    .option('--no-api', 'do not serve the HTTP API')
    .option('--ws-port <port>', 'WebSocket gateway port', integer('ws-port', 0), 8765)
    .option('--no-ws', 'do not serve the WebSocket gateway')
    .option('--news', 'poll the news sources of configs/news.yaml into news.raw')
    .option('--live', 'live mode: the broker venues of registry.yaml (ibkr, zerodha) send real orders')
    .option('--rate <messages>', 'synthetic market messages per second', integer('rate', 1), 2000)
    .option('--quiet', 'no live screen; a final summary only')
    .option('--json', 'print the final summary as JSON')
    .action(
      async (options: {
        duration: number;
        seed: number;
        port: number;
        api: boolean;
        ws: boolean;
        wsPort: number;
        news?: boolean;
        live?: boolean;
        rate: number;
        quiet?: boolean;
        json?: boolean;
      }) => {
        setExit(await runCommand(paths(), io, options));
      },
    );

  program
    .command('kill-switch')
    .description('engage or release the kill switch (policy:kill_switch enabled), or show it')
    .argument('<action>', 'on | off | status')
    .action(async (action: string) => setExit(await killSwitchCommand(paths(), io, action)));

  program
    .command('strategy')
    .description('list strategies, or enable / disable one (strategy:enabled <name>)')
    .argument('<action>', 'list | enable | disable')
    .argument('[name]', 'strategy id')
    .action(async (action: string, name?: string) =>
      setExit(await strategyCommand(paths(), io, action, name)),
    );

  program
    .command('route-override')
    .description("reroute a venue's flow (policy:route_override <VENUE> <target>)")
    .argument('<action>', 'set | clear | list')
    .argument('[venue]')
    .argument('[target]')
    .action(async (action: string, venue?: string, target?: string) =>
      setExit(await routeOverrideCommand(paths(), io, action, venue, target)),
    );

  program
    .command('trading-state')
    .description(
      'the operator trading state, firm-wide or per strategy (policy:trading_state): show | set <STATE>',
    )
    .argument('<action>', 'show | set')
    .argument('[state]', 'ACTIVE | REDUCING | HALTED')
    .option('--strategy <id>', 'one strategy instead of the firm')
    .action(async (action: string, state: string | undefined, o: { strategy?: string }) =>
      setExit(await tradingStateCommand(paths(), io, action, state, o.strategy)),
    );

  program
    .command('feed')
    .description(
      'market-data sources: switch an instrument to its primary or backup source, or show their state',
    )
    .argument('<action>', 'use | status')
    .argument('[instrument]')
    .argument('[role]', 'primary | backup')
    .option('--json', 'status as JSON')
    .action(
      async (
        action: string,
        instrument: string | undefined,
        role: string | undefined,
        o: { json?: boolean },
      ) => setExit(await feedCommand(paths(), io, action, instrument, role, o.json ?? false)),
    );

  program
    .command('reconcile')
    .description('compare OMS orders, fills and positions with every venue (exit 0 clean, 1 breaks, 2 error)')
    .option('--json', 'print the report as JSON')
    .option(
      '--date <YYYY-MM-DD>',
      "a past day, from the store (the session's venues restored from their journals)",
    )
    .option('--session <dir>', 'with --date: the session to read (default: the latest with data that day)')
    .action(async (options: { json?: boolean; date?: string; session?: string }) =>
      setExit(
        options.date === undefined
          ? await reconcileCommand(paths(), io, options.json === true)
          : await reconcileDayCommand(paths(), io, {
              date: options.date,
              json: options.json === true,
              ...(options.session !== undefined ? { session: options.session } : {}),
            }),
      ),
    );

  program
    .command('service')
    .description(
      `run one service of the distributed deployment (REDIS_URL, DATABASE_URL): ${SERVICES.join(', ')}`,
    )
    .argument('<name>')
    .option('--port <port>', 'health / API port (default: per service, api 8000)', integer('port', 0))
    .option('--seed <n>', 'ingest: seed of the synthetic market', integer('seed', 0), 42)
    .option('--rate <messages>', 'ingest: synthetic market messages per second', integer('rate', 1), 2000)
    .option('--interval <seconds>', 'reconciler: seconds between runs', number('interval', 1), 60)
    .option(
      '--strategies <ids>',
      'strategy: run only these strategies of strategies.yaml (comma list; HF_STRATEGIES), one process per set',
    )
    .action(
      async (
        name: string,
        options: { port?: number; seed: number; rate: number; interval: number; strategies?: string },
      ) => setExit(await serviceCommand(paths(), io, name, options)),
    );

  program
    .command('migrate')
    .description('apply the SQL migrations to PostgreSQL (DATABASE_URL)')
    .action(async () => setExit(await migrateCommand(io)));

  registerBacktestCommand(program, io, setExit, () => program.opts<GlobalOptions>());
  registerStatsCommand(program, io, setExit);
  registerRiskCommand(program, io, setExit);
  registerTcaCommand(program, io, setExit);
  registerReportCommand(program, io, setExit);
  registerPriceCommand(program, io, setExit);
  registerHedgeCommand(program, io, setExit);
  registerScenarioCommand(program, io, setExit);
  registerUserCommand(program, io, setExit);
  registerPolicyCommand(program, io, setExit);

  return program;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof ConfigError) {
      io.err(`configuration error: ${error.message}`);
      return 2;
    }
    io.err(`hf: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}
