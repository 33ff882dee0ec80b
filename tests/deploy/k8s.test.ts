// Kubernetes manifests offline (no cluster here): every document of k8s/ validated by the kubernetes-models
// package (its JSON-schema validation, plus unknown fields found by type-checking each document against the
// package's interfaces), the committed files equal to what tests/deploy/k8s-manifests.ts renders, and the
// deployment rules: probes on /health, resource requests, rollout strategies, one router, disruption budgets.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { SERVICE_PORTS } from '../../src/cli/service.ts';
import { ROOT } from '../helpers.ts';
import { APP_DEPLOYMENTS, CONFIG_SOURCES, renderManifests, SECRET } from './k8s-manifests.ts';

interface Document {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly [key: string]: unknown;
}
interface PodTemplate {
  readonly metadata: {
    readonly labels: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec: {
    readonly containers: readonly {
      readonly name: string;
      readonly image: string;
      readonly args?: readonly string[];
      readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
      readonly env?: readonly {
        readonly name: string;
        readonly value?: string;
        readonly valueFrom?: { readonly secretKeyRef?: { readonly name: string; readonly key: string } };
      }[];
      readonly readinessProbe?: {
        readonly httpGet?: { readonly path: string; readonly port: string | number };
      };
      readonly livenessProbe?: {
        readonly httpGet?: { readonly path: string; readonly port: string | number };
      };
      readonly resources?: { readonly requests?: Record<string, string> };
    }[];
  };
}
interface Workload extends Document {
  readonly spec: {
    readonly replicas: number;
    readonly selector: { readonly matchLabels: Record<string, string> };
    readonly strategy?: { readonly type: string; readonly rollingUpdate?: Record<string, number> };
    readonly template: PodTemplate;
  };
}

const K8S = join(ROOT, 'k8s');
const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml'));
const documentsOf = (file: string): Document[] =>
  YAML.parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => d.toJS() as Document);
const all = files.flatMap((file) => documentsOf(file).map((document) => ({ file, document })));
const ofKind = <T extends Document>(kind: string): T[] =>
  all.filter((d) => d.document.kind === kind).map((d) => d.document as T);
const deployment = (name: string): Workload => {
  const found = ofKind<Workload>('Deployment').find((d) => d.metadata.name === name);
  if (!found) throw new Error(`no Deployment ${name} in k8s/`);
  return found;
};

/** The kubernetes-models module of a document: `kubernetes-models/<apiVersion>/<Kind>`. */
const modelModule = (document: Document): string =>
  `kubernetes-models/${document.apiVersion}/${document.kind}`;

/**
 * Type-checks documents against the package's interfaces (`satisfies I<Kind>`): an object literal with a field
 * the interface does not have is a compile error, at any depth. Returns the diagnostics, with the document.
 */
function unknownFields(
  documents: readonly { readonly label: string; readonly document: Document }[],
): string[] {
  const lines: string[] = [];
  documents.forEach(({ document }, i) => {
    lines.push(`import type { I${document.kind} as T${i} } from '${modelModule(document)}';`);
  });
  const ranges: { readonly label: string; readonly first: number; readonly last: number }[] = [];
  documents.forEach(({ label, document }, i) => {
    const first = lines.length;
    lines.push(...`export const d${i} = ${JSON.stringify(document, null, 2)} satisfies T${i};`.split('\n'));
    ranges.push({ label, first, last: lines.length - 1 });
  });
  const source = lines.join('\n');
  const file = join(ROOT, 'tests/deploy/__k8s_documents.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) => (name === file ? source : readFile(name));
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const owner = ranges.find((r) => line >= r.first && line <= r.last)?.label ?? 'imports';
    return `${owner}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

describe('k8s/ manifests', () => {
  it("holds the runbook's files (§2.3) and the engine services", () => {
    for (const file of [
      'secrets.yaml',
      'prom_grafana.yaml',
      'api_depl.yaml',
      'ws_depl.yaml',
      'analyst_worker.yaml',
      'sentiment_worker.yaml',
      'scenario_worker.yaml',
      'ingest_depl.yaml',
      'strategy_depl.yaml',
      'risk_depl.yaml',
      'router_depl.yaml',
      'reconciler_depl.yaml',
      'ledger_depl.yaml',
    ])
      expect(files, file).toContain(file);
  });

  it('are exactly what tests/deploy/k8s-manifests.ts renders (edit there, then re-render)', () => {
    const rendered = renderManifests();
    expect(files.sort()).toEqual([...rendered.keys()].sort());
    for (const [file, text] of rendered)
      expect(documentsOf(file), file).toEqual(YAML.parseAllDocuments(text).map((d) => d.toJS() as unknown));
  });

  it('every document passes the kubernetes-models schema validation', async () => {
    expect(all.length).toBeGreaterThan(25);
    for (const { file, document } of all) {
      const module = (await import(modelModule(document))) as Record<
        string,
        new (data: unknown) => { validate(): void }
      >;
      const Model = module[document.kind];
      expect(Model, `${file}: ${document.kind} is a kubernetes-models kind`).toBeDefined();
      expect(
        () => new (Model as new (data: unknown) => { validate(): void })(document).validate(),
        file,
      ).not.toThrow();
    }
  });

  it('no document has a field its Kubernetes type does not define', () => {
    const labelled = all.map(({ file, document }) => ({
      label: `${file} ${document.kind}/${document.metadata.name}`,
      document,
    }));
    expect(unknownFields(labelled)).toEqual([]);
  }, 60_000);

  it('the unknown-field check fails on a misspelt field, naming it', () => {
    const router = deployment('router');
    const misspelt = {
      ...router,
      spec: {
        ...router.spec,
        template: {
          ...router.spec.template,
          spec: {
            ...router.spec.template.spec,
            containers: [
              { ...router.spec.template.spec.containers[0], readinesProbe: { httpGet: { path: '/health' } } },
            ],
          },
        },
      },
    } as Document;
    const problems = unknownFields([{ label: 'misspelt router', document: misspelt }]);
    expect(problems.length).toBe(1);
    expect(problems[0]).toMatch(/misspelt router: .*'"?readinesProbe"?' does not exist/);
  }, 60_000);

  it('Deployments: probes on /health, resource requests, matching selectors, secrets that exist, scrape ports', () => {
    const secret = ofKind<Document & { stringData: Record<string, string> }>('Secret').find(
      (s) => s.metadata.name === SECRET,
    );
    expect(secret).toBeDefined();
    const secretKeys = new Set(Object.keys(secret?.stringData ?? {}));
    for (const { name, service } of APP_DEPLOYMENTS) {
      const d = deployment(name);
      for (const [key, value] of Object.entries(d.spec.selector.matchLabels))
        expect(d.spec.template.metadata.labels[key], `${name}: selector ${key}`).toBe(value);
      const [container] = d.spec.template.spec.containers;
      expect(container?.args?.slice(0, 2), name).toEqual(['service', service]);
      expect(container?.readinessProbe?.httpGet?.path, `${name}: readiness`).toBe('/health');
      expect(container?.livenessProbe?.httpGet?.path, `${name}: liveness`).toBe('/health');
      expect(container?.resources?.requests?.cpu, `${name}: cpu request`).toBeTruthy();
      expect(container?.resources?.requests?.memory, `${name}: memory request`).toBeTruthy();
      const ports = new Map((container?.ports ?? []).map((p) => [p.name, p.containerPort]));
      // The health port is the service's default (src/cli/service.ts) or the one passed with --port.
      const portArg = container?.args?.indexOf('--port') ?? -1;
      const expected =
        portArg >= 0
          ? Number(container?.args?.[portArg + 1])
          : SERVICE_PORTS[service as keyof typeof SERVICE_PORTS];
      expect(ports.get('http'), `${name}: health port`).toBe(expected);
      const scrapePort = Number(d.spec.template.metadata.annotations?.['prometheus.io/port']);
      expect([...ports.values()], `${name}: scrape port is a container port`).toContain(scrapePort);
      for (const env of container?.env ?? []) {
        const ref = env.valueFrom?.secretKeyRef;
        if (ref) {
          expect(ref.name, `${name}: ${env.name}`).toBe(SECRET);
          expect(secretKeys, `${name}: ${env.name} -> ${ref.key}`).toContain(ref.key);
        }
      }
    }
  });

  it('one router, replaced without overlap; singleton engines likewise; api and ws roll one pod at a time', () => {
    const router = deployment('router');
    expect(router.spec.replicas).toBe(1);
    expect(router.spec.strategy?.type).toBe('Recreate');
    for (const { name, singleton } of APP_DEPLOYMENTS) {
      const d = deployment(name);
      if (singleton) {
        expect(d.spec.replicas, name).toBe(1);
        expect(d.spec.strategy?.type, name).toBe('Recreate');
      } else {
        expect(d.spec.strategy?.type, name).toBe('RollingUpdate');
        // Never above the replica count during a rollout when one replica is the most that may run.
        if (d.spec.replicas === 1) expect(d.spec.strategy?.rollingUpdate?.maxSurge, name).toBe(0);
      }
    }
    for (const name of ['hedgefund-api', 'hedgefund-ws']) {
      const d = deployment(name);
      expect(d.spec.replicas).toBeGreaterThanOrEqual(2);
      expect(d.spec.strategy?.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    }
    // The runbook's kubectl lines name these deployments and the api's container.
    expect(deployment('hedgefund-api').spec.template.spec.containers[0]?.name).toBe('api');
    expect(deployment('hedgefund-ws').spec.template.spec.containers[0]?.name).toBe('ws');
    deployment('risk-manager');
  });

  it('disruption budgets cover the replicated front ends and still let a drain proceed', () => {
    const budgets = ofKind<
      Document & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } }
    >('PodDisruptionBudget');
    expect(budgets.map((b) => b.metadata.name).sort()).toEqual(['hedgefund-api', 'hedgefund-ws']);
    for (const budget of budgets) {
      const d = deployment(budget.metadata.name);
      expect(d.spec.selector.matchLabels).toEqual(budget.spec.selector.matchLabels);
      expect(budget.spec.minAvailable).toBeLessThan(d.spec.replicas);
    }
  });

  it('Services select pods that exist, on ports those pods declare', () => {
    const pods = [...ofKind<Workload>('Deployment'), ...ofKind<Workload>('StatefulSet')];
    for (const service of ofKind<
      Document & { spec: { selector: Record<string, string>; ports: { targetPort: string }[] } }
    >('Service')) {
      const target = pods.find((p) =>
        Object.entries(service.spec.selector).every(([k, v]) => p.spec.template.metadata.labels[k] === v),
      );
      expect(target, `Service ${service.metadata.name}`).toBeDefined();
      const names = target?.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name));
      for (const port of service.spec.ports)
        expect(names, `Service ${service.metadata.name}`).toContain(port.targetPort);
    }
    // The reconciler reaches the router through its Service.
    const env = deployment('reconciler').spec.template.spec.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'HF_ROUTER_URL')?.value).toBe(`http://router:${SERVICE_PORTS.router}`);
  });

  it('the monitoring ConfigMaps carry deploy/ files verbatim, within kubectl apply’s annotation limit', () => {
    for (const [name, sources] of Object.entries(CONFIG_SOURCES)) {
      const map = ofKind<Document & { data: Record<string, string> }>('ConfigMap').find(
        (m) => m.metadata.name === name,
      );
      expect(map, name).toBeDefined();
      for (const [key, path] of Object.entries(sources))
        expect(map?.data[key], `${name}/${key}`).toBe(readFileSync(join(ROOT, path), 'utf8'));
      // `kubectl apply` keeps the whole object in an annotation, and annotations are limited to 256 KiB.
      expect(JSON.stringify(map).length, name).toBeLessThan(256 * 1024);
    }
  });

  it('the secrets file is a template: placeholders, no real values', () => {
    const secret = documentsOf('secrets.yaml')[0] as Document & { stringData: Record<string, string> };
    for (const [key, value] of Object.entries(secret.stringData))
      if (/PASSWORD/.test(key)) expect(value, key).toBe('CHANGE_ME');
    expect(secret.stringData.REDIS_URL).toContain('CHANGE_ME');
    expect(secret.stringData.DATABASE_URL).toContain('CHANGE_ME');
  });
});

beforeAll(() => {
  expect(files.length).toBeGreaterThan(0);
});
