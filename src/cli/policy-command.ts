// `hf policy show|set|history|rollback`: the risk limits and the policy engine changed without a restart
// (runbook 4.2). `set` edits configs/risk.yaml or configs/policy.yaml in place (comments kept), validates the
// whole file first (a wrong type or unknown key changes nothing), and has it applied now: by the running `hf run`
// (its control socket), or — distributed, REDIS_URL set and no local process — published straight to the fleet's
// control plane (`policy:documents`), numbered and audited in PostgreSQL (DATABASE_URL), where every risk process
// applies it on the notification (src/kernel/policy-watch.ts). A change the running process refuses (e.g. an
// instrument the registry lacks) is undone on disk too.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseDocument, parse as parseYaml } from 'yaml';
import { ConfigError } from '../common/errors.ts';
import { createLogger } from '../common/logging.ts';
import {
  cliActor,
  policyHistoryRows,
  type PolicyHistoryRow,
  parsePolicyDocument,
  publishPolicyVersion,
  validatePolicyContent,
  type PolicyFile,
} from '../kernel/policy-watch.ts';
import { RedisBus } from '../bus/redis.ts';
import { PolicyDocumentsKey } from '../common/topics.ts';
import { callChannel, ChannelUnavailable } from '../services/control-channel.ts';
import { PgliteStore } from '../store/pglite.ts';
import { PostgresStore } from '../store/postgres.ts';
import type { PolicyVersionRecord, Store } from '../store/store.ts';
import { resolvePaths, type CliIo, type CliPaths } from './context.ts';

interface CapBelow {
  scope: string;
  name: string;
  measure: string;
  exposure: number;
  cap: number;
}

/** The store that keeps the versions: PostgreSQL (DATABASE_URL), else the home's PGlite when it exists. */
async function openVersionStore(paths: CliPaths): Promise<Store | undefined> {
  const url = process.env.DATABASE_URL;
  if (url) return PostgresStore.open(url);
  const dir = join(paths.home, 'access');
  return existsSync(dir) ? PgliteStore.open(dir) : undefined;
}

/** The fleet's control plane (REDIS_URL), for a distributed deployment with no process on this home's socket. */
async function withFleet<T>(
  work: (bus: RedisBus, store: Store | undefined) => Promise<T>,
): Promise<T | undefined> {
  const url = process.env.REDIS_URL;
  if (!url) return undefined;
  const logger = createLogger('hf.policy', 'warn');
  const bus = await RedisBus.connect({
    url,
    consumer: `cli-${hostname()}-${process.pid}`,
    keyPrefix: process.env.HF_REDIS_PREFIX ?? '',
    logger,
  });
  const store = process.env.DATABASE_URL ? await PostgresStore.open(process.env.DATABASE_URL) : undefined;
  try {
    return await work(bus, store);
  } finally {
    await store?.close();
    await bus.close();
  }
}

/** Publishes a version as this operator, straight to the fleet, and keeps the local file in step. */
async function publishToFleet(
  bus: RedisBus,
  store: Store | undefined,
  file: PolicyFile,
  content: string,
  cause: 'set' | 'rollback',
  configDir: string,
): Promise<PolicyVersionRecord> {
  const record = await publishPolicyVersion(
    { control: bus.control, store, nowMs: Date.now },
    file,
    content,
    cause,
    cliActor(),
  );
  writeFileSync(join(configDir, file), content);
  return record;
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

/** Validates and edits one key of `base`; the new document, or an error message. */
function edit(
  base: string,
  where: { file: PolicyFile; path: string[] },
  text: string,
  path: string,
): { after: string; value: unknown } | { error: string } {
  let value: unknown;
  try {
    value = parseYaml(text) as unknown;
  } catch (error) {
    return { error: `value "${text}" is not YAML: ${(error as Error).message}` };
  }
  const document = parseDocument(base);
  document.setIn(where.path, value);
  const after = document.toString();
  try {
    validatePolicyContent(where.file, after, path);
  } catch (error) {
    if (error instanceof ConfigError) return { error: `refused, nothing changed: ${error.message}` };
    throw error;
  }
  return { after, value };
}

function capLines(io: CliIo, caps: readonly CapBelow[] | undefined): void {
  for (const c of caps ?? [])
    io.out(
      `  ${c.scope} ${c.name}: ${c.measure} ${c.exposure} above the new cap ${c.cap}: REDUCING until back under (orders that shrink it pass)`,
    );
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
  const local = await running<{ ok: boolean }>(paths, 'GET', '/health');
  if (local === undefined && process.env.REDIS_URL) {
    // Distributed: edit the fleet's document (not a possibly stale local file), publish it, keep the file in step.
    let problem: string | undefined;
    const published = await withFleet(async (bus, store) => {
      const fleet = parsePolicyDocument(where.file, bus.control.get(PolicyDocumentsKey, where.file));
      const edited = edit(fleet?.content ?? before, where, text, file);
      if ('error' in edited) {
        problem = edited.error;
        return undefined;
      }
      const record = await publishToFleet(bus, store, where.file, edited.after, 'set', paths.configDir);
      return { record, value: edited.value };
    });
    if (problem !== undefined || !published) {
      io.err(`hf policy set: ${problem ?? 'the fleet did not answer'}`);
      return 2;
    }
    io.out(
      `${key} = ${JSON.stringify(published.value)}: published to the fleet as version ${published.record.version} (every risk process applies it on the notification)`,
    );
    return 0;
  }
  const edited = edit(before, where, text, file);
  if ('error' in edited) {
    io.err(`hf policy set: ${edited.error}`);
    return 2;
  }
  writeFileSync(file, edited.after);
  if (local === undefined) {
    io.out(
      `${key} = ${JSON.stringify(edited.value)} written to ${file} (no running process: applied at the next start)`,
    );
    return 0;
  }
  type ApplyReply = { applied: boolean; version?: number; error?: string; capsBelowExposure?: CapBelow[] };
  const reply = await running<ApplyReply>(paths, 'POST', '/policy/apply', { file: where.file }).catch(
    (error: unknown): ApplyReply => ({ applied: false, error: (error as Error).message }),
  );
  if (reply === undefined || reply.error !== undefined) {
    writeFileSync(file, before);
    io.err(
      `hf policy set: the running process refused it, nothing changed: ${reply?.error ?? 'it stopped answering'}`,
    );
    return 2;
  }
  io.out(
    `${key} = ${JSON.stringify(edited.value)}: applied by the running process as version ${reply.version ?? '?'}`,
  );
  capLines(io, reply.capsBelowExposure);
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
      let live = await running<Record<string, { version: number; content: string }>>(p, 'GET', '/api/policy');
      let where = 'in force in the running process';
      if (!live && process.env.REDIS_URL) {
        live = await withFleet(async (bus) => {
          const docs: Record<string, { version: number; content: string }> = {};
          for (const file of ['risk.yaml', 'policy.yaml'] as const) {
            const doc = parsePolicyDocument(file, bus.control.get(PolicyDocumentsKey, file));
            if (doc) docs[file] = { version: doc.version, content: doc.content };
          }
          return docs;
        });
        where = "in force across the fleet (the control plane's policy:documents)";
      }
      for (const file of ['risk.yaml', 'policy.yaml'] as const) {
        const entry = live?.[file];
        io.out(
          `# ${file}: ${entry ? `version ${entry.version} ${where}` : 'no running process: the file on disk'}`,
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
    .description('every version applied, oldest first: number, file, time, cause, who, what changed')
    .action(async () => {
      const p = paths();
      let rows = await running<PolicyHistoryRow[]>(p, 'GET', '/api/policy/history');
      if (!rows) {
        const store = await openVersionStore(p);
        if (store)
          try {
            rows = policyHistoryRows(await store.loadPolicyVersions());
          } finally {
            await store.close();
          }
      }
      if (!rows) {
        io.err(
          'hf policy history: no running process and no store of versions (DATABASE_URL, or the home of an hf run)',
        );
        setExit(2);
        return;
      }
      for (const r of rows)
        io.out(
          `${r.version}  ${r.file}  ${new Date(r.tsMs).toISOString()}  ${r.actor}  ${r.change}  ${r.cause}`,
        );
      setExit(0);
    });
  policy
    .command('rollback')
    .description('publish version <n> again as a new version (and write it back to its file)')
    .argument('<version>', 'a version number from hf policy history')
    .action(async (version: string) => {
      const n = Number(version);
      if (!Number.isInteger(n) || n < 1) {
        io.err(`hf policy rollback: "${version}" is not a version number`);
        setExit(2);
        return;
      }
      const p = paths();
      type RollbackReply = { restored?: number; file?: string; version?: number; error?: string };
      let reply = await running<RollbackReply>(p, 'POST', '/policy/rollback', { version: n }).catch(
        (error: unknown): RollbackReply => ({ error: (error as Error).message }),
      );
      if (!reply && process.env.REDIS_URL)
        reply = await withFleet(async (bus, store): Promise<RollbackReply> => {
          if (!store) return { error: 'DATABASE_URL is not set: the versions are kept in PostgreSQL' };
          const restored = (await store.loadPolicyVersions(n - 1)).find((v) => v.version === n);
          if (!restored) return { error: `no version ${n}` };
          const record = await publishToFleet(
            bus,
            store,
            restored.file,
            restored.content,
            'rollback',
            p.configDir,
          );
          return { restored: n, file: restored.file, version: record.version };
        });
      if (!reply) {
        io.err('hf policy rollback: no running process (and no REDIS_URL for a distributed deployment)');
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
