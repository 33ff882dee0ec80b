// Policy changes without a restart (runbook 4.2): the kernel watches configs/risk.yaml and configs/policy.yaml,
// validates an edited file in full and applies it to the running risk engine, or refuses it (an
// OPS_POLICY_INVALID alert naming the file, the key and the problem) and keeps the running policy. Every applied
// version is kept (number, file, time, content) so `hf policy history` lists them and `hf policy rollback <n>`
// writes one back (which is then applied like any edit).
//
// Every process runs its own watcher on its own config folder: embedded, that is the one process; distributed,
// each service reads the same mounted files (a ConfigMap propagates to every pod; how fast is the cluster's).

import { readFileSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Bus } from '../common/bus.ts';
import type { Clock } from '../common/clock.ts';
import { ConfigError } from '../common/errors.ts';
import type { Logger } from '../common/logging.ts';
import { Streams } from '../common/topics.ts';
import { loadPolicyConfig, loadRiskConfig, type RiskEngine } from '../risk/index.ts';

export type PolicyFile = 'risk.yaml' | 'policy.yaml';
export const POLICY_FILES: readonly PolicyFile[] = ['risk.yaml', 'policy.yaml'];

export interface PolicyVersion {
  readonly version: number;
  readonly file: PolicyFile;
  /** Unix µs. */
  readonly appliedAt: number;
  /** `start` for the version the process started with, `edit` for a file change, `rollback` for `hf policy rollback`. */
  readonly cause: 'start' | 'edit' | 'rollback';
  readonly content: string;
}

export interface PolicyWatcherOptions {
  readonly configDir: string;
  readonly risk: RiskEngine;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Debounce of file events (an editor writes in several steps). Default 100 ms. */
  readonly debounceMs?: number;
}

export class PolicyWatcher {
  private readonly versions: PolicyVersion[] = [];
  private readonly watchers: FSWatcher[] = [];
  private readonly timers = new Map<PolicyFile, NodeJS.Timeout>();
  private readonly current = new Map<PolicyFile, string>();
  private rollingBack: PolicyFile | undefined;

  constructor(private readonly options: PolicyWatcherOptions) {}

  start(): void {
    for (const file of POLICY_FILES) {
      const content = readFileSync(this.path(file), 'utf8');
      this.current.set(file, content);
      this.record(file, 'start', content);
      // Watch the folder, not the file: editors replace files (a new inode) rather than write them in place.
    }
    const watcher = watch(this.options.configDir, (_event, name) => {
      const file = POLICY_FILES.find((f) => f === String(name));
      if (file) this.schedule(file);
    });
    watcher.on('error', (error) =>
      this.options.logger.error('policy watcher failed', { error: String(error) }),
    );
    this.watchers.push(watcher);
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  history(): readonly PolicyVersion[] {
    return this.versions;
  }

  /** Writes version `n` back to its file; the watcher then validates and applies it. */
  rollback(n: number): PolicyVersion {
    const version = this.versions.find((v) => v.version === n);
    if (!version)
      throw new ConfigError('policy', 'version', `no version ${n} (have 1…${this.versions.length})`);
    this.rollingBack = version.file;
    writeFileSync(this.path(version.file), version.content);
    this.apply(version.file);
    return version;
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
        this.apply(file);
      }, this.options.debounceMs ?? 100),
    );
  }

  /** Validates the file as it is now and applies it; a file that did not change is ignored. */
  apply(file: PolicyFile): boolean {
    const path = this.path(file);
    let content: string;
    try {
      content = readFileSync(path, 'utf8');
    } catch (error) {
      this.refuse(file, new ConfigError(path, '', `cannot read: ${(error as Error).message}`));
      return false;
    }
    if (content === this.current.get(file)) return false;
    try {
      if (file === 'risk.yaml') this.options.risk.updateRisk(loadRiskConfig(path));
      else this.options.risk.updatePolicy(loadPolicyConfig(path));
    } catch (error) {
      this.refuse(file, error);
      return false;
    }
    this.current.set(file, content);
    const cause = this.rollingBack === file ? 'rollback' : 'edit';
    this.rollingBack = undefined;
    const version = this.record(file, cause, content);
    this.options.logger.warn(`policy ${file} applied as version ${version.version} (${cause})`, { file });
    this.options.bus.publish(Streams.alerts, {
      type: 'alert',
      severity: 'info',
      code: 'OPS_POLICY_APPLIED',
      source: 'policy',
      message: `${file} version ${version.version} applied (${cause}) without a restart`,
      tsEvent: this.options.clock.now(),
    });
    return true;
  }

  private record(file: PolicyFile, cause: PolicyVersion['cause'], content: string): PolicyVersion {
    const version: PolicyVersion = {
      version: this.versions.length + 1,
      file,
      appliedAt: this.options.clock.now(),
      cause,
      content,
    };
    this.versions.push(version);
    return version;
  }

  private refuse(file: PolicyFile, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.options.logger.error(`policy ${file} refused, the running policy stays: ${message}`, { file });
    this.options.bus.publish(Streams.alerts, {
      type: 'alert',
      severity: 'warning',
      code: 'OPS_POLICY_INVALID',
      source: 'policy',
      message: `${file} refused, the running policy stays: ${message}`,
      tsEvent: this.options.clock.now(),
    });
  }
}
