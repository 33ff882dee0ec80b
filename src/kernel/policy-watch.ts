// Policy changes without a restart (runbook 4.2), the same embedded and distributed.
//
// A change starts where an operator makes it: an edit of configs/risk.yaml or configs/policy.yaml seen on disk,
// `hf policy set|rollback`, or the API. It is validated in full (a wrong type, an unknown key, an instrument the
// registry lacks: refused with the file, the key and the reason, an OPS_POLICY_INVALID alert, the running policy
// stays), numbered (one global version across both files: the store's policy_versions table when there is a
// store, else the highest version on the control plane + 1), audited (who, what, old → new: control_audit) and
// announced on the control plane (`policy:documents`, field = file, value = the version as JSON). Every process
// with a risk engine applies each newer version on the change notification — keyspace notifications on Redis, in
// the same turn embedded — and a process that starts adopts the fleet's documents before it judges an order.
// A reload that sets a cap below the exposure it caps moves that scope to REDUCING (RiskEngine.capsBelowExposure).

import { readFileSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Bus, ControlPlane, Subscription } from '../common/bus.ts';
import type { Clock } from '../common/clock.ts';
import { ConfigError } from '../common/errors.ts';
import type { Logger } from '../common/logging.ts';
import { PolicyDocumentsKey, Streams } from '../common/topics.ts';
import { parsePolicyConfig, parseRiskConfig, type RiskEngine } from '../risk/index.ts';
import type { PolicyVersionRecord, PolicyVersionStore } from '../store/store.ts';

export type PolicyFile = PolicyVersionRecord['file'];
export type PolicyCause = PolicyVersionRecord['cause'];
export const POLICY_FILES: readonly PolicyFile[] = ['risk.yaml', 'policy.yaml'];

/** Who made a change, for the version and the audit trail. */
export interface PolicyActor {
  /** A user name, `local:<os user>`, `file:<host>` (an edit seen on disk), `process:<host>` (a start). */
  readonly actor: string;
  /** token, session, socket, cli, file, start */
  readonly via: string;
}

export function isPolicyFile(value: unknown): value is PolicyFile {
  return value === 'risk.yaml' || value === 'policy.yaml';
}

/** The operator at this terminal (`hf policy` without a running process's socket). */
export function cliActor(): PolicyActor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (a container's arbitrary uid): keep `unknown`
  }
  return { actor: `local:${name}`, via: 'cli' };
}

/** Validates a document as its file: YAML, the schema, unknown keys. Throws ConfigError naming `path`. */
export function validatePolicyContent(file: PolicyFile, content: string, path: string = file): void {
  let parsed: unknown;
  try {
    parsed = parseYaml(content) as unknown;
  } catch (error) {
    throw new ConfigError(path, '', `not YAML: ${(error as Error).message}`);
  }
  if (file === 'risk.yaml') parseRiskConfig(parsed, path);
  else parsePolicyConfig(parsed, path);
}

/** The control plane's value for a file, parsed; undefined when absent. Throws on a value that is not a version. */
export function parsePolicyDocument(
  field: string,
  value: string | undefined,
): PolicyVersionRecord | undefined {
  if (value === undefined) return undefined;
  let doc: Partial<PolicyVersionRecord>;
  try {
    doc = JSON.parse(value) as Partial<PolicyVersionRecord>;
  } catch {
    throw new Error(`${PolicyDocumentsKey} ${field}: not JSON`);
  }
  if (
    typeof doc !== 'object' ||
    doc === null ||
    doc.file !== field ||
    !isPolicyFile(doc.file) ||
    typeof doc.version !== 'number' ||
    !Number.isInteger(doc.version) ||
    doc.version < 1 ||
    typeof doc.content !== 'string' ||
    !['start', 'edit', 'set', 'rollback'].includes(String(doc.cause)) ||
    typeof doc.actor !== 'string' ||
    typeof doc.tsMs !== 'number'
  )
    throw new Error(
      `${PolicyDocumentsKey} ${field}: not a policy version ({version, file, content, cause, actor, tsMs})`,
    );
  return {
    version: doc.version,
    file: doc.file,
    content: doc.content,
    cause: doc.cause as PolicyCause,
    actor: doc.actor,
    replaces: typeof doc.replaces === 'number' ? doc.replaces : null,
    tsMs: doc.tsMs,
  };
}

function documentOn(control: ControlPlane, file: PolicyFile): PolicyVersionRecord | undefined {
  try {
    return parsePolicyDocument(file, control.get(PolicyDocumentsKey, file));
  } catch {
    return undefined;
  }
}

/** What changed between two versions of a file, key by key: `a.b: 1 → 2` (at most 12 lines). */
export function describePolicyChange(before: string | undefined, after: string): string {
  const read = (text: string | undefined): unknown => {
    try {
      return text === undefined ? undefined : (parseYaml(text) as unknown);
    } catch {
      return undefined;
    }
  };
  const lines: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    const plain = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v);
    if (plain(a) && plain(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
        walk(a[key], b[key], path ? `${path}.${key}` : key);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b))
      lines.push(
        `${path || '(document)'}: ${JSON.stringify(a) ?? '(none)'} → ${JSON.stringify(b) ?? '(none)'}`,
      );
  };
  walk(read(before), read(after), '');
  if (lines.length === 0) return 'no value changed';
  return lines.length > 12
    ? [...lines.slice(0, 12), `… ${lines.length - 12} more`].join('; ')
    : lines.join('; ');
}

/** A version as `hf policy history` and `GET /api/policy/history` show it: without its content, with what changed. */
export interface PolicyHistoryRow {
  readonly version: number;
  readonly file: PolicyFile;
  readonly tsMs: number;
  readonly cause: PolicyCause;
  readonly actor: string;
  readonly change: string;
}

/** Versions (oldest first) as history rows, each described against the previous version of its file. */
export function policyHistoryRows(versions: readonly PolicyVersionRecord[]): PolicyHistoryRow[] {
  const previous = new Map<PolicyFile, string>();
  return versions.map((v) => {
    const change = describePolicyChange(previous.get(v.file), v.content);
    previous.set(v.file, v.content);
    return { version: v.version, file: v.file, tsMs: v.tsMs, cause: v.cause, actor: v.actor, change };
  });
}

export interface PublishTarget {
  readonly control: ControlPlane;
  readonly store?: PolicyVersionStore | undefined;
  /** Unix ms. */
  readonly nowMs: () => number;
}

/**
 * Numbers, stores, audits and announces a version the caller has validated. `onNumbered` runs once the number is
 * taken and before the announcement (whose notification reaches this process too).
 */
export async function publishPolicyVersion(
  target: PublishTarget,
  file: PolicyFile,
  content: string,
  cause: PolicyCause,
  who: PolicyActor,
  onNumbered?: (record: PolicyVersionRecord) => void,
): Promise<PolicyVersionRecord> {
  const previous = documentOn(target.control, file);
  let version = Math.max(0, ...POLICY_FILES.map((f) => documentOn(target.control, f)?.version ?? 0)) + 1;
  const store = target.store;
  const tsMs = target.nowMs();
  const record = (n: number): PolicyVersionRecord => ({
    version: n,
    file,
    content,
    cause,
    actor: who.actor,
    replaces: previous?.version ?? null,
    tsMs,
  });
  if (store) {
    version = Math.max(version, (await store.latestPolicyVersion()) + 1);
    // Another process may take the number between the read and the insert: the primary key says so, try the next.
    for (let attempt = 0; !(await store.appendPolicyVersion(record(version))); attempt++) {
      if (attempt >= 50) throw new Error('could not number the policy version: 50 numbers taken in a row');
      version = Math.max(version + 1, (await store.latestPolicyVersion()) + 1);
    }
    await store.appendControlAudit({
      tsMs,
      actor: who.actor,
      role: null,
      via: who.via,
      action: `policy.${cause}`,
      key: PolicyDocumentsKey,
      field: file,
      oldValue: previous?.content ?? null,
      newValue: content,
      reason: `version ${version}`,
      outcome: 'applied',
      detail: describePolicyChange(previous?.content, content),
      remote: null,
    });
  }
  const published = record(version);
  onNumbered?.(published);
  // Announced only over an older version: of two publishers racing, the higher number stays announced whatever
  // the order their writes arrive in (the lower one is numbered and audited, and superseded).
  await target.control.setVersioned(PolicyDocumentsKey, file, JSON.stringify(published), version);
  return published;
}

export interface PolicyWatcherOptions {
  readonly configDir: string;
  readonly risk: RiskEngine;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where versions are numbered and kept (the access store); without one, versions live in this process. */
  readonly store?: PolicyVersionStore | Promise<PolicyVersionStore | undefined> | undefined;
  /** Debounce of file events (an editor writes in several steps). Default 100 ms. */
  readonly debounceMs?: number;
}

export interface PolicyInForce {
  readonly version: number;
  readonly content: string;
}

export class PolicyWatcher {
  /** Versions this process applied (the history when there is no store). */
  private readonly applied: PolicyVersionRecord[] = [];
  private readonly watchers: FSWatcher[] = [];
  private readonly timers = new Map<PolicyFile, NodeJS.Timeout>();
  private readonly current = new Map<PolicyFile, PolicyInForce>();
  private subscription: Subscription | undefined;
  private readonly host = hostname();

  constructor(private readonly options: PolicyWatcherOptions) {}

  /** Reads the files, adopts the fleet's newer documents, announces the files the fleet lacks, watches. */
  start(): void {
    for (const file of POLICY_FILES)
      this.current.set(file, { version: 0, content: readFileSync(this.path(file), 'utf8') });
    const control = this.options.bus.control;
    this.subscription = control.onChange((key, field, value) => {
      if (key === PolicyDocumentsKey && isPolicyFile(field)) this.receive(field, value);
    });
    // The fleet's document runs from the start; a file the fleet lacks is announced as it is. A file that differs
    // from the fleet's document is then published as an edit only when it is new: content never published before
    // (a new ConfigMap, an edit made while the process was down). A file holding an earlier version (a pod
    // restarting on a stale ConfigMap, whose files are as new as the pod) never reverts a live change. Without a
    // version history (no store) the file's time is compared with the document's instead.
    for (const file of POLICY_FILES) {
      const doc = documentOn(control, file);
      const disk = this.current.get(file)!.content;
      if (doc === undefined) {
        void this.submit(file, disk, 'start', { actor: `process:${this.host}`, via: 'start' }, true).catch(
          (error: unknown) =>
            this.options.logger.error(`policy ${file}: the version read at start was not published`, {
              error: String(error),
            }),
        );
        continue;
      }
      this.receive(file, control.get(PolicyDocumentsKey, file));
      if (doc.content !== disk)
        void this.publishIfNew(file, disk, doc).catch((error: unknown) =>
          this.options.logger.error(`policy ${file}: the file read at start was not published`, {
            error: String(error),
          }),
        );
    }
    // Watch the folder, not the file: editors replace files (a new inode) rather than write them in place.
    const watcher = watch(this.options.configDir, (_event, name) => {
      const file = POLICY_FILES.find((f) => f === String(name));
      if (file) this.schedule(file);
    });
    watcher.on('error', (error) =>
      this.options.logger.error('policy watcher failed', { error: String(error) }),
    );
    this.watchers.push(watcher);
  }

  /** At start: publishes the file as an edit when its content is new to the fleet (see start). */
  private async publishIfNew(file: PolicyFile, disk: string, doc: PolicyVersionRecord): Promise<void> {
    const store = await this.options.store;
    const isNew = store
      ? !(await store.loadPolicyVersions()).some((v) => v.file === file && v.content === disk)
      : statSync(this.path(file)).mtimeMs > doc.tsMs;
    if (!isNew) {
      this.options.logger.info(
        `policy ${file}: the file holds an earlier version; the fleet's version ${doc.version} runs`,
        { file },
      );
      return;
    }
    await this.submit(file, disk, 'edit', { actor: `file:${this.host}`, via: 'file' }, true);
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** The documents this process runs on, with their versions (0 = the file as read, not yet numbered). */
  inForce(): Record<PolicyFile, PolicyInForce> {
    return { 'risk.yaml': this.current.get('risk.yaml')!, 'policy.yaml': this.current.get('policy.yaml')! };
  }

  /** Every version, oldest first: the fleet's from the store, else those this process applied. */
  async history(): Promise<readonly PolicyVersionRecord[]> {
    const store = await this.options.store;
    return store ? store.loadPolicyVersions() : [...this.applied].sort((a, b) => a.version - b.version);
  }

  /**
   * Validates the file as it is now on disk and, when it changed, applies and publishes it. Throws ConfigError
   * (with an OPS_POLICY_INVALID alert) when it is refused; undefined when nothing changed.
   */
  async apply(
    file: PolicyFile,
    who: PolicyActor = { actor: `file:${this.host}`, via: 'file' },
    cause: PolicyCause = 'set',
  ): Promise<PolicyVersionRecord | undefined> {
    let content: string;
    try {
      content = readFileSync(this.path(file), 'utf8');
    } catch (error) {
      const refused = new ConfigError(this.path(file), '', `cannot read: ${(error as Error).message}`);
      this.refuse(file, refused);
      throw refused;
    }
    return this.submit(file, content, cause, who);
  }

  /** Publishes version `n`'s content again as a new version (and writes it back to its file here). */
  async rollback(n: number, who: PolicyActor): Promise<{ restored: PolicyVersionRecord; version: number }> {
    const versions = await this.history();
    const restored = versions.find((v) => v.version === n);
    if (!restored) {
      const have = versions.map((v) => v.version);
      throw new ConfigError(
        'policy',
        'version',
        `no version ${n} (${have.length === 0 ? 'none kept' : `have ${have[0]}…${have[have.length - 1]}`})`,
      );
    }
    const published = await this.submit(restored.file, restored.content, 'rollback', who, true);
    try {
      writeFileSync(this.path(restored.file), restored.content);
    } catch (error) {
      this.options.logger.warn(`policy rollback: ${restored.file} not written back (applied all the same)`, {
        error: String(error),
      });
    }
    return { restored, version: published?.version ?? this.current.get(restored.file)!.version };
  }

  private path(file: PolicyFile): string {
    return join(this.options.configDir, file);
  }

  private schedule(file: PolicyFile): void {
    const pending = this.timers.get(file);
    if (pending) clearTimeout(pending);
    this.timers.set(
      file,
      setTimeout(() => {
        this.timers.delete(file);
        // A refusal is alerted inside; the running policy stays.
        this.apply(file, { actor: `file:${this.host}`, via: 'file' }, 'edit').catch(() => undefined);
      }, this.options.debounceMs ?? 100),
    );
  }

  /** Applies here first (so a document this process refuses is never announced), then numbers and announces. */
  private async submit(
    file: PolicyFile,
    content: string,
    cause: PolicyCause,
    who: PolicyActor,
    force = false,
  ): Promise<PolicyVersionRecord | undefined> {
    const before = this.current.get(file)!;
    const changed = content !== before.content;
    if (!changed && !force && cause !== 'start') return undefined;
    if (changed) {
      try {
        this.applyContent(file, content);
      } catch (error) {
        this.refuse(file, error);
        throw error;
      }
      // In force from now: a file event for the same content (the rollback's write) is not a new change.
      this.current.set(file, { version: before.version, content });
    }
    const store = await this.options.store;
    const published = await publishPolicyVersion(
      { control: this.options.bus.control, store, nowMs: () => Math.floor(this.options.clock.now() / 1000) },
      file,
      content,
      cause,
      who,
      (record) => {
        // A newer version received while this one was being numbered may have been applied meanwhile: this one
        // now has the highest number, so the engine runs its content.
        if (this.current.get(file)!.content !== content)
          try {
            this.applyContent(file, content);
          } catch (error) {
            this.refuse(file, error, record.version);
          }
        this.current.set(file, { version: record.version, content });
        this.applied.push(record);
      },
    );
    if (cause !== 'start') this.announceApplied(published, before.content);
    return published;
  }

  /** A version from the control plane: applied when newer than what runs here. */
  private receive(file: PolicyFile, value: string | undefined): void {
    let doc: PolicyVersionRecord | undefined;
    try {
      doc = parsePolicyDocument(file, value);
    } catch (error) {
      this.refuse(file, error);
      return;
    }
    if (doc === undefined) return;
    const before = this.current.get(file)!;
    if (doc.version <= before.version) return;
    if (doc.content !== before.content) {
      try {
        this.applyContent(file, doc.content);
      } catch (error) {
        this.refuse(file, error, doc.version);
        return;
      }
    }
    this.current.set(file, { version: doc.version, content: doc.content });
    this.applied.push(doc);
    if (doc.content !== before.content) this.announceApplied(doc, before.content);
  }

  private applyContent(file: PolicyFile, content: string): void {
    const path = this.path(file);
    validatePolicyContent(file, content, path);
    const parsed = parseYaml(content) as unknown;
    if (file === 'risk.yaml') this.options.risk.updateRisk(parseRiskConfig(parsed, path));
    else this.options.risk.updatePolicy(parsePolicyConfig(parsed, path));
  }

  private announceApplied(record: PolicyVersionRecord, before: string): void {
    const change = describePolicyChange(before, record.content);
    this.options.logger.warn(
      `policy ${record.file} version ${record.version} applied (${record.cause} by ${record.actor}): ${change}`,
      { file: record.file },
    );
    this.options.bus.publish(Streams.alerts, {
      type: 'alert',
      severity: 'info',
      code: 'OPS_POLICY_APPLIED',
      source: 'policy',
      message: `${record.file} version ${record.version} applied (${record.cause} by ${record.actor}) without a restart: ${change}`,
      tsEvent: this.options.clock.now(),
    });
  }

  private refuse(file: PolicyFile, error: unknown, version?: number): void {
    const message = error instanceof Error ? error.message : String(error);
    const what = version === undefined ? file : `${file} version ${version}`;
    this.options.logger.error(`policy ${what} refused, the running policy stays: ${message}`, { file });
    this.options.bus.publish(Streams.alerts, {
      type: 'alert',
      severity: 'warning',
      code: 'OPS_POLICY_INVALID',
      source: 'policy',
      message: `${what} refused, the running policy stays: ${message}`,
      tsEvent: this.options.clock.now(),
    });
  }
}
