// `hf policy show|set|history|rollback`: the risk limits and the policy engine changed without a restart
// (runbook 4.2). `set` edits configs/risk.yaml or configs/policy.yaml in place (comments kept), validates the
// whole file first (a wrong type or unknown key changes nothing), and has the running process apply it now;
// a change the running process refuses (e.g. an instrument the registry lacks) is undone on disk too.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseDocument, parse as parseYaml } from 'yaml';
import { ConfigError } from '../common/errors.ts';
import { parsePolicyConfig, parseRiskConfig } from '../risk/index.ts';
import { callChannel, ChannelUnavailable } from '../services/control-channel.ts';
import { resolvePaths, type CliIo, type CliPaths } from './context.ts';

type PolicyFile = 'risk.yaml' | 'policy.yaml';

interface HistoryRow {
  version: number;
  file: string;
  appliedAt: number;
  cause: string;
}

async function running<T>(
  paths: CliPaths,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T | undefined> {
  try {
    return await callChannel<T>(paths.socket, method, path, body);
  } catch (error) {
    if (error instanceof ChannelUnavailable) return undefined;
    throw error;
  }
}

/** `policy.restrictedInstruments` → policy.yaml + [restrictedInstruments]; `risk.a.b` → risk.yaml + [a, b]. */
function target(key: string): { file: PolicyFile; path: string[] } | undefined {
  const [head, ...path] = key.split('.');
  if (path.length === 0 || path.some((p) => p.length === 0)) return undefined;
  if (head === 'risk') return { file: 'risk.yaml', path };
  if (head === 'policy') return { file: 'policy.yaml', path };
  return undefined;
}

async function setCommand(paths: CliPaths, io: CliIo, key: string, text: string): Promise<number> {
  const where = target(key);
  if (!where) {
    io.err(
      `hf policy set: key "${key}" must start with risk. or policy. (e.g. policy.restrictedInstruments)`,
    );
    return 2;
  }
  const file = join(paths.configDir, where.file);
  const before = readFileSync(file, 'utf8');
  const document = parseDocument(before);
  let value: unknown;
  try {
    value = parseYaml(text) as unknown;
  } catch (error) {
    io.err(`hf policy set: value "${text}" is not YAML: ${(error as Error).message}`);
    return 2;
  }
  document.setIn(where.path, value);
  const after = document.toString();
  try {
    const parsed = parseYaml(after) as unknown;
    if (where.file === 'risk.yaml') parseRiskConfig(parsed, file);
    else parsePolicyConfig(parsed, file);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`hf policy set: refused, nothing changed: ${error.message}`);
      return 2;
    }
    throw error;
  }
  writeFileSync(file, after);
  type ApplyReply = { applied: boolean; version?: number; error?: string };
  const reply = await running<ApplyReply>(paths, 'POST', '/policy/apply', { file: where.file }).catch(
    (error: unknown): ApplyReply => ({ applied: false, error: (error as Error).message }),
  );
  if (reply === undefined) {
    io.out(
      `${key} = ${JSON.stringify(value)} written to ${file} (no running process: applied at the next start)`,
    );
    return 0;
  }
  if (reply.error !== undefined) {
    writeFileSync(file, before);
    io.err(`hf policy set: the running process refused it, nothing changed: ${reply.error}`);
    return 2;
  }
  io.out(
    `${key} = ${JSON.stringify(value)}: applied by the running process as version ${reply.version ?? '?'}`,
  );
  return 0;
}

export function registerPolicyCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const paths = () => resolvePaths(program.opts<{ home?: string; config?: string }>());
  const policy = program
    .command('policy')
    .description(
      'risk limits and policy changed without a restart (risk.yaml, policy.yaml): show, set, history, rollback',
    );
  policy
    .command('show')
    .description('the risk.yaml and policy.yaml in force, with their versions')
    .action(async () => {
      const p = paths();
      const live = await running<Record<string, { version: number; content: string }>>(
        p,
        'GET',
        '/api/policy',
      );
      for (const file of ['risk.yaml', 'policy.yaml'] as const) {
        const entry = live?.[file];
        io.out(
          `# ${file}: ${entry ? `version ${entry.version} in force` : 'no running process: the file on disk'}`,
        );
        io.out(entry ? entry.content.trimEnd() : readFileSync(join(p.configDir, file), 'utf8').trimEnd());
      }
      setExit(0);
    });
  policy
    .command('set')
    .description('set one key (risk.<path> or policy.<path>) to a YAML value, validated, applied at once')
    .argument('<key>', 'e.g. policy.restrictedInstruments, risk.instrumentDefaults.maxNotional')
    .argument('<value>', 'a YAML value: 50000, "[AAPL]", true')
    .action(async (key: string, value: string) => setExit(await setCommand(paths(), io, key, value)));
  policy
    .command('history')
    .description('every version applied by the running process')
    .action(async () => {
      const rows = await running<HistoryRow[]>(paths(), 'GET', '/api/policy/history');
      if (!rows) {
        io.err('hf policy history: no running process (versions are kept by the process that applied them)');
        setExit(2);
        return;
      }
      for (const r of rows)
        io.out(`${r.version}  ${r.file}  ${new Date(r.appliedAt / 1000).toISOString()}  ${r.cause}`);
      setExit(0);
    });
  policy
    .command('rollback')
    .description('write version <n> back and apply it')
    .argument('<version>', 'a version number from hf policy history')
    .action(async (version: string) => {
      const n = Number(version);
      if (!Number.isInteger(n) || n < 1) {
        io.err(`hf policy rollback: "${version}" is not a version number`);
        setExit(2);
        return;
      }
      type RollbackReply = { restored?: number; file?: string; version?: number; error?: string };
      const reply = await running<RollbackReply>(paths(), 'POST', '/policy/rollback', { version: n }).catch(
        (error: unknown): RollbackReply => ({ error: (error as Error).message }),
      );
      if (!reply) {
        io.err('hf policy rollback: no running process');
        setExit(2);
        return;
      }
      if (reply.error !== undefined) {
        io.err(`hf policy rollback: ${reply.error}`);
        setExit(2);
        return;
      }
      io.out(`${reply.file} version ${reply.restored} written back and applied as version ${reply.version}`);
      setExit(0);
    });
}
