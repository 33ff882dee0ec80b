// `hf kill-switch`, `hf strategy`, `hf route-override`, `hf reconcile`: act on the running process through
// its control channel, or on the control file when nothing runs (the next `hf run` starts in that state).

import { readControlFile, updateControlFile } from '../kernel/control-file.ts';
import { ControlKeys } from '../common/topics.ts';
import { loadConfigFile } from '../common/config.ts';
import { callChannel, ChannelUnavailable } from '../services/control-channel.ts';
import { StrategiesConfigSchema } from '../strategy/config.ts';
import type { ReconciliationReport } from '../reconciler/index.ts';
import type { CliIo, CliPaths } from './context.ts';
import { join } from 'node:path';

interface Target {
  /** 'running' when a process answered on the control channel. */
  readonly where: 'running' | 'file';
}

async function setControl(
  paths: CliPaths,
  key: string,
  field: string,
  value: string | undefined,
): Promise<Target> {
  try {
    await callChannel(paths.socket, 'POST', '/control', { key, field, value: value ?? null });
    return { where: 'running' };
  } catch (error) {
    if (!(error instanceof ChannelUnavailable)) throw error;
    updateControlFile(paths.controlFile, key, field, value);
    return { where: 'file' };
  }
}

async function getControl(
  paths: CliPaths,
): Promise<{ state: Record<string, Record<string, string>>; where: Target['where'] }> {
  try {
    const state = await callChannel<Record<string, Record<string, string>>>(
      paths.socket,
      'GET',
      '/api/control',
    );
    return { state, where: 'running' };
  } catch (error) {
    if (!(error instanceof ChannelUnavailable)) throw error;
    return { state: readControlFile(paths.controlFile), where: 'file' };
  }
}

const whereText = (t: Target['where']): string =>
  t === 'running' ? 'applied to the running process' : 'no running process: saved for the next start';

export async function killSwitchCommand(paths: CliPaths, io: CliIo, action: string): Promise<number> {
  if (action === 'status') {
    const { state, where } = await getControl(paths);
    const on = state[ControlKeys.killSwitch]?.enabled === 'true';
    io.out(
      `kill switch: ${on ? 'ON (trading halted)' : 'off'}${where === 'file' ? ' (no running process)' : ''}`,
    );
    return 0;
  }
  if (action !== 'on' && action !== 'off') {
    io.err(`hf kill-switch: expected on, off or status, got "${action}"`);
    return 2;
  }
  const target = await setControl(
    paths,
    ControlKeys.killSwitch,
    'enabled',
    action === 'on' ? 'true' : 'false',
  );
  io.out(
    `kill switch ${action === 'on' ? 'ON: trading halted, open orders cancelled' : 'off'} (${whereText(target.where)})`,
  );
  return 0;
}

export async function strategyCommand(
  paths: CliPaths,
  io: CliIo,
  action: string,
  name?: string,
): Promise<number> {
  if (action === 'list') {
    try {
      const list = await callChannel<
        {
          id: string;
          enabled: boolean;
          running: boolean;
          lastError?: string;
          submitted: number;
          fills: number;
        }[]
      >(paths.socket, 'GET', '/api/strategies');
      for (const s of list)
        io.out(
          `${s.id.padEnd(20)} ${(s.enabled ? 'enabled' : 'disabled').padEnd(9)} ${(s.running ? 'running' : 'stopped').padEnd(8)} orders=${s.submitted} fills=${s.fills}${s.lastError ? `  last error: ${s.lastError}` : ''}`,
        );
      return 0;
    } catch (error) {
      if (!(error instanceof ChannelUnavailable)) throw error;
    }
    const config = loadConfigFile(StrategiesConfigSchema, join(paths.configDir, 'strategies.yaml'));
    const toggles = readControlFile(paths.controlFile)[ControlKeys.strategyEnabled] ?? {};
    for (const s of config.strategies) {
      const enabled = toggles[s.id] === undefined ? s.enabled : toggles[s.id] !== 'false';
      io.out(
        `${s.id.padEnd(20)} ${(enabled ? 'enabled' : 'disabled').padEnd(9)} ${s.strategy}  (not running)`,
      );
    }
    return 0;
  }
  if (action !== 'enable' && action !== 'disable') {
    io.err(`hf strategy: expected list, enable <name> or disable <name>, got "${action}"`);
    return 2;
  }
  if (!name) {
    io.err(`hf strategy ${action}: missing strategy name`);
    return 2;
  }
  const target = await setControl(
    paths,
    ControlKeys.strategyEnabled,
    name,
    action === 'enable' ? 'true' : 'false',
  );
  io.out(`strategy ${name} ${action}d (${whereText(target.where)})`);
  return 0;
}

export async function routeOverrideCommand(
  paths: CliPaths,
  io: CliIo,
  action: string,
  venue?: string,
  target?: string,
): Promise<number> {
  if (action === 'list') {
    const { state, where } = await getControl(paths);
    const overrides = state[ControlKeys.routeOverride] ?? {};
    const entries = Object.entries(overrides);
    if (entries.length === 0) io.out('no route overrides');
    for (const [from, to] of entries) io.out(`${from} -> ${to}`);
    if (where === 'file') io.out('(no running process)');
    return 0;
  }
  if (action === 'set') {
    if (!venue || !target) {
      io.err('hf route-override set <venue> <target>: both are required');
      return 2;
    }
    const t = await setControl(paths, ControlKeys.routeOverride, venue, target);
    io.out(`route override ${venue} -> ${target} (${whereText(t.where)})`);
    return 0;
  }
  if (action === 'clear') {
    if (!venue) {
      io.err('hf route-override clear <venue>: venue is required');
      return 2;
    }
    const t = await setControl(paths, ControlKeys.routeOverride, venue, undefined);
    io.out(`route override for ${venue} cleared (${whereText(t.where)})`);
    return 0;
  }
  io.err(`hf route-override: expected set, clear or list, got "${action}"`);
  return 2;
}

interface FeedStatusReply {
  readonly sources: Record<string, number>;
  readonly instruments: readonly {
    instrumentId: string;
    active: string;
    activeFeed: string;
    primaryFeed: string;
    backupFeed: string;
    primaryStale?: boolean;
    backupStale?: boolean;
  }[];
  readonly quarantined: Record<string, number>;
}

/**
 * `hf feed use <instrument> primary|backup` sets `feed:active` (the running process switches at once, if the
 * target source is not stale); `hf feed status` shows each instrument's active source, staleness and the
 * quarantine counts.
 */
export async function feedCommand(
  paths: CliPaths,
  io: CliIo,
  action: string,
  instrument?: string,
  role?: string,
  json = false,
): Promise<number> {
  if (action === 'status') {
    let status: FeedStatusReply;
    try {
      status = await callChannel<FeedStatusReply>(paths.socket, 'GET', '/api/feeds');
    } catch (error) {
      if (!(error instanceof ChannelUnavailable)) throw error;
      io.err('hf feed status: no running process (start one with hf run)');
      return 2;
    }
    if (json) {
      io.out(JSON.stringify(status));
      return 0;
    }
    io.out(
      `sources: ${Object.entries(status.sources)
        .map(([name, n]) => `${name} ${n} messages`)
        .join(', ')}`,
    );
    if (status.instruments.length === 0) io.out('no failover pairs (every instrument takes any source)');
    for (const i of status.instruments)
      io.out(
        `${i.instrumentId}: ${i.active} (${i.activeFeed}); primary ${i.primaryFeed}${i.primaryStale ? ' STALE' : ''}, backup ${i.backupFeed}${i.backupStale ? ' STALE' : ''}`,
      );
    const q = Object.entries(status.quarantined).filter(([, n]) => n > 0);
    io.out(
      q.length === 0 ? 'quarantined: none' : `quarantined: ${q.map(([k, n]) => `${k} ${n}`).join(', ')}`,
    );
    return 0;
  }
  if (action === 'use') {
    if (!instrument || (role !== 'primary' && role !== 'backup')) {
      io.err('hf feed use <instrument> primary|backup');
      return 2;
    }
    const t = await setControl(paths, ControlKeys.feedActive, instrument, role);
    io.out(`${instrument}: use the ${role} source (${whereText(t.where)})`);
    return 0;
  }
  io.err(`hf feed: expected use or status, got "${action}"`);
  return 2;
}

/**
 * `hf trading-state show | set <ACTIVE|REDUCING|HALTED> [--strategy S]`: the operator's trading state
 * (`policy:trading_state`), firm-wide or for one strategy: how a state a drawdown band set is released.
 */
export async function tradingStateCommand(
  paths: CliPaths,
  io: CliIo,
  action: string,
  state: string | undefined,
  strategy: string | undefined,
): Promise<number> {
  if (action === 'show') {
    const { state: control, where } = await getControl(paths);
    const set = control[ControlKeys.tradingState] ?? {};
    const entries = Object.entries(set);
    if (entries.length === 0) io.out('no operator trading state set (the risk engine decides)');
    for (const [field, value] of entries)
      io.out(`${field === 'firm' ? 'firm' : `strategy ${field}`}: ${value}`);
    if (where === 'file') io.out('(no running process)');
    return 0;
  }
  if (action !== 'set' || state === undefined || !['ACTIVE', 'REDUCING', 'HALTED'].includes(state)) {
    io.err('hf trading-state: show, or set ACTIVE|REDUCING|HALTED [--strategy S]');
    return 2;
  }
  const t = await setControl(paths, ControlKeys.tradingState, strategy ?? 'firm', state);
  io.out(`${strategy ? `strategy ${strategy}` : 'firm'} trading state ${state} (${whereText(t.where)})`);
  return 0;
}

/** Exit codes: 0 clean, 1 breaks found, 2 error (nothing to reconcile against). */
export async function reconcileCommand(paths: CliPaths, io: CliIo, json: boolean): Promise<number> {
  let report: ReconciliationReport;
  try {
    report = await callChannel<ReconciliationReport>(paths.socket, 'POST', '/reconcile');
  } catch (error) {
    if (!(error instanceof ChannelUnavailable)) throw error;
    io.err('hf reconcile: no running `hf run` to reconcile against (start one, or see hf reconcile --help)');
    return 2;
  }
  if (json) io.out(JSON.stringify(report));
  else {
    io.out(
      `reconciled ${report.venues.join(', ')}: ${report.ordersChecked} orders, ${report.fillsChecked} fills, ${report.positionsChecked} positions`,
    );
    if (report.breaks.length === 0) io.out('no breaks');
    for (const b of report.breaks)
      io.out(`BREAK ${b.code} ${b.venue} ${b.message} (expected ${b.expected}, actual ${b.actual})`);
  }
  return report.breaks.length === 0 ? 0 : 1;
}
