// Grafana dashboards as code, offline: the three runbook dashboards parse, lay out on the 24-column grid, use the
// provisioned datasource, and every panel's PromQL reads a metric the code exports (checked against a registry
// built by createMetrics over a real kernel) or one the alert rules record.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ROOT } from '../helpers.ts';
import { exportedMetricNames, isKnownName } from './catalogue.ts';
import { DASHBOARDS } from './k8s-manifests.ts';
import { metricNames } from './prometheus-text.ts';

interface Target {
  readonly refId: string;
  readonly expr?: string;
  readonly datasource?: { readonly type: string; readonly uid: string };
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: { readonly type: string; readonly uid: string };
  readonly targets?: readonly Target[];
}
interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly { readonly name: string; readonly query: unknown }[] };
}

const DIR = join(ROOT, 'deploy/grafana/dashboards');
const load = (file: string): Dashboard => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Dashboard;
const readYaml = <T>(path: string): T =>
  YAML.parse(readFileSync(join(ROOT, path), 'utf8'), { merge: true }) as T;

const recorded = new Set(
  readYaml<{ groups: { rules: { record?: string }[] }[] }>('deploy/prometheus/alerts.yml').groups.flatMap(
    (g) => g.rules.flatMap((r) => (r.record ? [r.record] : [])),
  ),
);

let exported: Awaited<ReturnType<typeof exportedMetricNames>>;
beforeAll(async () => {
  exported = await exportedMetricNames();
});

describe('Grafana dashboards', () => {
  it("are the runbook's three (§8: 01_Latency, 02_Risk_VaR_ES, 03_PnL_Attribution), titled after their files", () => {
    expect(readdirSync(DIR).sort()).toEqual([...DASHBOARDS]);
    const uids = new Set<string>();
    for (const file of DASHBOARDS) {
      const dashboard = load(file);
      expect(dashboard.title).toBe(file.replace(/\.json$/, ''));
      expect(uids.has(dashboard.uid)).toBe(false);
      uids.add(dashboard.uid);
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    }
  });

  it('lay out on the grid without overlaps, with unique panel ids and refIds, on the provisioned datasource', () => {
    const datasource = readYaml<{ datasources: { uid: string; type: string; url: string }[] }>(
      'deploy/grafana/provisioning/datasources/prometheus.yaml',
    ).datasources[0];
    expect(datasource?.url).toBe('http://prometheus:9090');
    for (const file of DASHBOARDS) {
      const ids = new Set<number>();
      const cells = new Map<string, string>();
      for (const panel of load(file).panels) {
        expect(ids.has(panel.id), `${file}: panel id ${panel.id}`).toBe(false);
        ids.add(panel.id);
        const { x, y, w, h } = panel.gridPos;
        expect(x + w, `${file}: ${panel.title} fits 24 columns`).toBeLessThanOrEqual(24);
        for (let i = x; i < x + w; i++)
          for (let j = y; j < y + h; j++) {
            const other = cells.get(`${i},${j}`);
            expect(other, `${file}: "${panel.title}" overlaps "${other}"`).toBeUndefined();
            cells.set(`${i},${j}`, panel.title);
          }
        if (panel.type === 'row') continue;
        expect(panel.datasource?.uid, `${file}: ${panel.title}`).toBe(datasource?.uid);
        expect(panel.targets?.length, `${file}: ${panel.title} has queries`).toBeGreaterThan(0);
        const refIds = new Set(panel.targets?.map((t) => t.refId));
        expect(refIds.size, `${file}: ${panel.title} refIds`).toBe(panel.targets?.length);
      }
    }
  });

  it("every panel's PromQL names a metric the code exports (or a recording rule)", () => {
    const unknown: string[] = [];
    let expressions = 0;
    for (const file of DASHBOARDS) {
      const dashboard = load(file);
      for (const panel of dashboard.panels)
        for (const target of panel.targets ?? []) {
          expect(target.expr, `${file}: ${panel.title} ${target.refId}`).toBeTruthy();
          expressions++;
          const names = metricNames(target.expr ?? '');
          expect(names.length, `${file}: ${panel.title}: ${target.expr}`).toBeGreaterThan(0);
          for (const name of names)
            if (!isKnownName(name, exported, recorded)) unknown.push(`${file}: ${panel.title}: ${name}`);
        }
      for (const variable of dashboard.templating.list) {
        const query = JSON.stringify(variable.query);
        const metric = /label_values\((\w+)/.exec(query)?.[1];
        expect(metric, `${file}: variable ${variable.name}`).toBeDefined();
        if (!isKnownName(metric as string, exported, recorded))
          unknown.push(`${file}: $${variable.name}: ${metric}`);
      }
    }
    expect(expressions).toBeGreaterThan(40);
    expect(unknown).toEqual([]);
  });

  it('show what the runbook monitors: latency p95 with the 50 ms line, reject rate, VaR/ES bands, PnL by strategy', () => {
    const exprs = (file: string): string =>
      load(file)
        .panels.flatMap((p) => p.targets ?? [])
        .map((t) => t.expr)
        .join('\n');
    expect(exprs('01_Latency.json')).toContain('histogram_quantile(0.95');
    expect(readFileSync(join(DIR, '01_Latency.json'), 'utf8')).toContain('"value": 0.05');
    expect(exprs('01_Latency.json')).toContain('hf:order_reject_ratio:rate5m');
    expect(exprs('02_Risk_VaR_ES.json')).toContain('hf_risk_var_limit');
    expect(exprs('02_Risk_VaR_ES.json')).toContain('hf_risk_es_limit');
    expect(exprs('03_PnL_Attribution.json')).toMatch(/sum by \(strategy, currency\)/);
    expect(exprs('03_PnL_Attribution.json')).toMatch(/sum by \(venue\)/);
    expect(exprs('03_PnL_Attribution.json')).toMatch(/sum by \(instrument\)/);
  });

  it('are provisioned from the folder docker compose mounts', () => {
    const provider = readYaml<{ providers: { options: { path: string } }[] }>(
      'deploy/grafana/provisioning/dashboards/hedgefund.yaml',
    ).providers[0];
    const compose = readYaml<{ services: Record<string, { volumes?: string[] }> }>('docker-compose.yaml');
    const volumes = compose.services.grafana?.volumes ?? [];
    expect(volumes).toContain(`./deploy/grafana/dashboards:${provider?.options.path}:ro`);
    expect(volumes).toContain('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro');
  });
});
