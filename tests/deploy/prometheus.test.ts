// Prometheus configuration offline: the rules parse, every expression reads metrics the code exports (or rules
// record), the runbook's alerts are there with its thresholds, and every service of docker-compose.yaml is a
// scrape target on the port it serves /metrics on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ROOT } from '../helpers.ts';
import { exportedMetricNames, isKnownName } from './catalogue.ts';
import { metricNames } from './prometheus-text.ts';

interface Rule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}
interface RuleFile {
  readonly groups: readonly {
    readonly name: string;
    readonly interval?: string;
    readonly rules: readonly Rule[];
  }[];
}

const readYaml = <T>(path: string): T =>
  YAML.parse(readFileSync(join(ROOT, path), 'utf8'), { merge: true }) as T;
const rules = readYaml<RuleFile>('deploy/prometheus/alerts.yml');
const allRules = rules.groups.flatMap((g) => g.rules);
const recorded = new Set(allRules.flatMap((r) => (r.record ? [r.record] : [])));
const alert = (name: string): Rule => {
  const found = allRules.find((r) => r.alert === name);
  if (!found) throw new Error(`no alert ${name} in deploy/prometheus/alerts.yml`);
  return found;
};

/** Brackets, parentheses and braces balance, outside strings. */
function balanced(expression: string): boolean {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const code = expression.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const ch of code) {
    if (ch === '(' || ch === '[' || ch === '{') stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return false;
  }
  return stack.length === 0;
}

let exported: Awaited<ReturnType<typeof exportedMetricNames>>;
beforeAll(async () => {
  exported = await exportedMetricNames();
});

describe('deploy/prometheus/alerts.yml', () => {
  it('is well formed: named groups, a record or an alert per rule, severities, summaries, durations', () => {
    expect(rules.groups.length).toBeGreaterThan(0);
    const names = new Set<string>();
    for (const group of rules.groups) {
      expect(group.name).toMatch(/^[a-z-]+$/);
      for (const rule of group.rules) {
        const name = rule.record ?? rule.alert;
        expect(name, JSON.stringify(rule)).toBeDefined();
        expect(rule.record !== undefined && rule.alert !== undefined, `${name}: record and alert`).toBe(
          false,
        );
        expect(typeof rule.expr, `${name}: expr`).toBe('string');
        expect(balanced(rule.expr), `${name}: unbalanced brackets in ${rule.expr}`).toBe(true);
        if (rule.record)
          expect(rule.record, 'recording rule name level:metric:operations').toMatch(/^\w+:\w+:\w+$/);
        if (rule.alert) {
          expect(names.has(rule.alert), `duplicate alert ${rule.alert}`).toBe(false);
          names.add(rule.alert);
          expect(['info', 'warning', 'critical'], `${rule.alert}: severity`).toContain(rule.labels?.severity);
          expect(rule.annotations?.summary, `${rule.alert}: summary`).toBeTruthy();
          if (rule.for !== undefined) expect(rule.for, `${rule.alert}: for`).toMatch(/^\d+[smh]$/);
        }
      }
    }
  });

  it('reads only metrics the code exports, or that its own recording rules record', () => {
    const unknown: string[] = [];
    for (const rule of allRules)
      for (const name of metricNames(rule.expr))
        if (!isKnownName(name, exported, recorded)) unknown.push(`${rule.alert ?? rule.record}: ${name}`);
    expect(unknown).toEqual([]);
  });

  it('holds the runbook alerts with its thresholds (§4.2: p95 < 50 ms, reject rate < 0.5 %, VaR/ES bands)', () => {
    expect(alert('OrderLatencyP95High').expr).toMatch(/stage="ingest_to_ack"\}\s*>\s*0\.05\b/);
    expect(alert('OrderRejectRateHigh').expr).toMatch(/hf:order_reject_ratio:rate5m\s*>\s*0\.005\b/);
    expect(alert('VaRBandBreach').expr).toContain('hf_risk_var_limit');
    expect(alert('ESBandBreach').expr).toContain('hf_risk_es_limit');
    expect(alert('StreamLagGrowing').expr).toContain('deriv(hf_stream_consumer_lag_messages');
    expect(alert('VenueDisconnected').expr).toContain('hf_venue_connected');
    expect(alert('FeedStale').expr).toContain('hf_feed_stale');
    expect(alert('KillSwitchOn').expr).toContain('hf_kill_switch_engaged');
    expect(alert('KillSwitchOn').labels?.severity).toBe('critical');
  });

  it('the name check can fail: an unknown metric and a misspelt one are flagged', () => {
    const flagged = metricNames('sum(rate(hf_no_such_metric_total[5m])) / hf_order_submit_total').filter(
      (n) => !isKnownName(n, exported, recorded),
    );
    expect(flagged).toEqual(['hf_no_such_metric_total', 'hf_order_submit_total']);
  });
});

describe('deploy/prometheus/prometheus.yml (compose) and prometheus-k8s.yml', () => {
  interface PromConfig {
    readonly global: { readonly scrape_interval: string; readonly evaluation_interval: string };
    readonly rule_files: readonly string[];
    readonly scrape_configs: readonly {
      readonly job_name: string;
      readonly static_configs?: readonly { readonly targets: readonly string[] }[];
      readonly kubernetes_sd_configs?: readonly unknown[];
    }[];
  }

  it('loads the rules from where docker compose mounts them', () => {
    const config = readYaml<PromConfig>('deploy/prometheus/prometheus.yml');
    const compose = readYaml<{
      services: Record<string, { volumes?: string[] }>;
    }>('docker-compose.yaml');
    const mounts = compose.services.prometheus?.volumes ?? [];
    for (const file of config.rule_files) {
      const mount = mounts.find((m) => m.split(':')[1] === file);
      expect(mount, `${file} is mounted`).toBeDefined();
      const source = (mount as string).split(':')[0] as string;
      expect(readFileSync(join(ROOT, source), 'utf8')).toBe(
        readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8'),
      );
    }
  });

  it('scrapes every hf service of docker-compose.yaml on the port that serves its /metrics', () => {
    const config = readYaml<PromConfig>('deploy/prometheus/prometheus.yml');
    const targets = new Set(
      config.scrape_configs
        .filter((s) => s.job_name === 'hedgefund')
        .flatMap((s) => s.static_configs ?? [])
        .flatMap((s) => s.targets),
    );
    const compose = readYaml<{
      services: Record<string, { command?: string[]; healthcheck?: { test: string[] } }>;
    }>('docker-compose.yaml');
    const expected: string[] = [];
    for (const [name, service] of Object.entries(compose.services)) {
      const command = service.command ?? [];
      if (command[0] !== 'service') continue;
      // The ws gateway answers /health on 8765 and serves /metrics on its own port (9120); others on the health port.
      const port =
        command[1] === 'ws'
          ? '9120'
          : /127\.0\.0\.1:(\d+)\/health/.exec(service.healthcheck?.test.join(' ') ?? '')?.[1];
      expect(port, `${name}: health port`).toBeDefined();
      expected.push(`${name}:${port}`);
    }
    expect(expected.length).toBeGreaterThanOrEqual(12);
    for (const target of expected) expect(targets, target).toContain(target);
    expect(targets.size).toBe(expected.length);
  });

  it('the Kubernetes variant discovers pods and loads the same rules file', () => {
    const config = readYaml<PromConfig>('deploy/prometheus/prometheus-k8s.yml');
    const compose = readYaml<PromConfig>('deploy/prometheus/prometheus.yml');
    expect(config.rule_files).toEqual(compose.rule_files);
    expect(config.global).toEqual(compose.global);
    expect(
      config.scrape_configs.find((s) => s.job_name === 'hedgefund')?.kubernetes_sd_configs,
    ).toBeDefined();
  });
});
