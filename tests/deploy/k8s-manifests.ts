// The Kubernetes manifests of k8s/, as typed objects (kubernetes-models interfaces: a misspelt field fails to
// compile). `node bin/run-ts.mjs tests/deploy/k8s-manifests.ts` writes k8s/*.yaml; tests/deploy/k8s.test.ts
// checks the committed files are what this renders, and validates them.

import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** The runbook's image name (RUNBOOK.md §7.1): `kubectl set image deploy/hedgefund-api api=…:<tag>`. */
export const IMAGE = 'your-registry/hedgefund-api:latest';
export const SECRET = 'hedgefund-secrets';
const PART_OF = 'hedgefund';

type Manifest =
  | IDeployment
  | IStatefulSet
  | IService
  | IPodDisruptionBudget
  | IConfigMap
  | ISecret
  | IServiceAccount
  | IRole
  | IRoleBinding
  | IPersistentVolumeClaim;

interface ManifestFile {
  readonly file: string;
  readonly header: string;
  readonly documents: readonly Manifest[];
}

function labels(name: string, service: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/component': component,
    'hedgefund.io/service': service,
  };
}

const fromSecret = (name: string, key: string, optional = false): IEnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: SECRET, key, ...(optional ? { optional: true } : {}) } },
});

const healthProbe = (port: string, periodSeconds: number, failureThreshold: number): IProbe => ({
  httpGet: { path: '/health', port },
  periodSeconds,
  timeoutSeconds: 3,
  failureThreshold,
});

interface AppService {
  readonly file: string;
  /** Deployment name, as the runbook's kubectl lines use it. */
  readonly name: string;
  /** `hf service <service>`. */
  readonly service: string;
  readonly container: string;
  readonly component: 'api' | 'engine' | 'worker';
  /** The port answering /health (and /metrics, unless metricsPort). */
  readonly port: number;
  readonly metricsPort?: number;
  readonly replicas: number;
  /**
   * One instance at a time: strategy Recreate (the old pod is gone before the new one starts) and a fixed
   * consumer name, so the replacement drains its predecessor's pending entries first.
   */
  readonly singleton: boolean;
  readonly extraArgs?: readonly string[];
  readonly extraEnv?: readonly IEnvVar[];
  readonly cpu: string;
  readonly memory: string;
  readonly memoryLimit: string;
  /** A ClusterIP Service in front (other components or users call it). */
  readonly clusterService?: boolean;
  readonly disruptionBudget?: boolean;
  readonly header: string;
}

const APP_SERVICES: readonly AppService[] = [
  {
    file: 'api_depl.yaml',
    name: 'hedgefund-api',
    service: 'api',
    container: 'api',
    component: 'api',
    port: 8000,
    replicas: 2,
    singleton: false,
    cpu: '250m',
    memory: '256Mi',
    memoryLimit: '1Gi',
    clusterService: true,
    disruptionBudget: true,
    header:
      'The HTTP API (RUNBOOK.md §2.3): GET /health, /metrics, REST under /api, on :8000. Two replicas behind the\n' +
      'hedgefund-api Service, rolled one at a time, and a PodDisruptionBudget keeping one up during node drains.\n' +
      'Deploy: kubectl set image deploy/hedgefund-api api=your-registry/hedgefund-api:<tag>',
  },
  {
    file: 'ws_depl.yaml',
    name: 'hedgefund-ws',
    service: 'ws',
    container: 'ws',
    component: 'api',
    port: 8765,
    metricsPort: 9120,
    replicas: 2,
    singleton: false,
    cpu: '250m',
    memory: '256Mi',
    memoryLimit: '1Gi',
    clusterService: true,
    disruptionBudget: true,
    header:
      'The WebSocket gateway (docs/ws-protocol.md) on :8765, /health on the same port, /metrics on :9120. Each\n' +
      'replica reads every stream it serves in a group of its own (fan-out), so replicas add capacity.',
  },
  {
    file: 'ingest_depl.yaml',
    name: 'ingest',
    service: 'ingest',
    container: 'ingest',
    component: 'engine',
    port: 9101,
    replicas: 1,
    singleton: true,
    cpu: '500m',
    memory: '256Mi',
    memoryLimit: '1Gi',
    header:
      'Market-data ingest: the registry feeds through failover and the quality gate into ticks.live, books.live,\n' +
      'candles.<tf>. One instance: two would publish every tick twice.',
  },
  {
    file: 'strategy_depl.yaml',
    name: 'strategy-runner',
    service: 'strategy',
    container: 'strategy',
    component: 'engine',
    port: 9102,
    replicas: 1,
    singleton: true,
    cpu: '500m',
    memory: '256Mi',
    memoryLimit: '1Gi',
    header:
      'The strategy runner (orders.incoming). One instance: a second runner would decide, and submit, every\n' +
      'order again under its own client order ids.',
  },
  {
    file: 'risk_depl.yaml',
    name: 'risk-manager',
    service: 'risk',
    container: 'risk',
    component: 'engine',
    port: 9103,
    replicas: 1,
    singleton: true,
    cpu: '500m',
    memory: '256Mi',
    memoryLimit: '1Gi',
    header:
      'Pre-trade risk (orders.incoming -> orders.validated | orders.rejected): limits, policy, VaR/ES, kill switch.\n' +
      'One active instance (a Redis lock, lock:service:risk): it holds the book the limits are checked against; a\n' +
      'second would wait as a hot standby (HF_CONSUMER must then differ). kubectl logs deploy/risk-manager',
  },
  {
    file: 'router_depl.yaml',
    name: 'router',
    service: 'router',
    container: 'router',
    component: 'engine',
    port: 9104,
    replicas: 1,
    singleton: true,
    cpu: '500m',
    memory: '512Mi',
    memoryLimit: '2Gi',
    clusterService: true,
    header:
      'The router / OMS with the venue sessions (orders.validated -> venues -> orders.events, fills) and\n' +
      'reconciliation (POST /reconcile). Exactly one instance, so an order is never routed twice: replicas 1 and\n' +
      'strategy Recreate (Kubernetes stops the old pod before it starts the new one; a rolling update would run two\n' +
      'for a while). No PodDisruptionBudget: a drain moves it like a restart, and the restarted router restores its\n' +
      'orders from PostgreSQL and reconciles with the venues before routing. kubectl logs deploy/router -f | grep Connected',
  },
  {
    file: 'ledger_depl.yaml',
    name: 'ledger',
    service: 'ledger',
    container: 'ledger',
    component: 'engine',
    port: 9105,
    replicas: 1,
    singleton: true,
    cpu: '250m',
    memory: '256Mi',
    memoryLimit: '1Gi',
    header:
      'The double-entry ledger: books every fill into PostgreSQL once (idempotent per venue and trade id). One\n' +
      'instance: it numbers journals and holds the positions the PnL metrics read.',
  },
  {
    file: 'reconciler_depl.yaml',
    name: 'reconciler',
    service: 'reconciler',
    container: 'reconciler',
    component: 'engine',
    port: 9106,
    replicas: 1,
    singleton: false,
    extraArgs: ['--interval', '60'],
    extraEnv: [{ name: 'HF_ROUTER_URL', value: 'http://router:9104' }],
    cpu: '100m',
    memory: '256Mi',
    memoryLimit: '512Mi',
    header:
      'The reconciler: asks the router to reconcile OMS and ledger with the venues every 60 s (RECON_* breaks\n' +
      'alert; hf_reconciliation_breaks on the router).',
  },
  {
    file: 'news_depl.yaml',
    name: 'news',
    service: 'news',
    container: 'news',
    component: 'engine',
    port: 9107,
    replicas: 1,
    singleton: true,
    cpu: '100m',
    memory: '128Mi',
    memoryLimit: '512Mi',
    header: 'News sources of configs/news.yaml (RSS/Atom, social posts) polled into news.raw. One instance.',
  },
  {
    file: 'analyst_worker.yaml',
    name: 'analyst-worker',
    service: 'insights',
    container: 'analyst-worker',
    component: 'worker',
    port: 9110,
    replicas: 1,
    singleton: false,
    extraArgs: ['--port', '9110'],
    extraEnv: [fromSecret('OPENAI_API_KEY', 'OPENAI_API_KEY', true)],
    cpu: '100m',
    memory: '256Mi',
    memoryLimit: '512Mi',
    header:
      "The runbook's analyst worker (hf service insights): drift flags as alerts with a one-line explanation.",
  },
  {
    file: 'sentiment_worker.yaml',
    name: 'sentiment-worker',
    service: 'sentiment',
    container: 'sentiment-worker',
    component: 'worker',
    port: 9109,
    replicas: 1,
    singleton: false,
    extraArgs: ['--port', '9109'],
    extraEnv: [fromSecret('HUGGINGFACE_TOKEN', 'HUGGINGFACE_TOKEN', true)],
    cpu: '100m',
    memory: '256Mi',
    memoryLimit: '512Mi',
    header:
      'The sentiment worker (hf service sentiment): news.raw scored per instrument onto the sentiment stream.',
  },
  {
    file: 'scenario_worker.yaml',
    name: 'scenario-worker',
    service: 'scenario',
    container: 'scenario-worker',
    component: 'worker',
    port: 9108,
    replicas: 1,
    singleton: false,
    extraArgs: ['--port', '9108'],
    cpu: '250m',
    memory: '256Mi',
    memoryLimit: '1Gi',
    header:
      'The scenario worker (hf service scenario): stress tests of the live book onto the scenarios stream.',
  },
];

function appContainer(s: AppService): IContainer {
  const env: IEnvVar[] = [
    fromSecret('REDIS_URL', 'REDIS_URL'),
    fromSecret('DATABASE_URL', 'DATABASE_URL'),
    fromSecret('HF_REDIS_PREFIX', 'HF_REDIS_PREFIX', true),
    // A singleton keeps its consumer name across restarts (it drains its own pending entries first); replicas
    // take the pod name (distinct, so a dead pod's entries are claimed by the others).
    s.singleton
      ? { name: 'HF_CONSUMER', value: s.service }
      : { name: 'HF_CONSUMER', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'HF_LOG_LEVEL', value: 'info' },
    ...(s.extraEnv ?? []),
  ];
  const ports = [{ name: 'http', containerPort: s.port }];
  if (s.metricsPort !== undefined) ports.push({ name: 'metrics', containerPort: s.metricsPort });
  return {
    name: s.container,
    image: IMAGE,
    imagePullPolicy: 'IfNotPresent',
    args: ['service', s.service, ...(s.extraArgs ?? [])],
    ports,
    env,
    // Starting includes loading the TypeScript sources and, for the router, restoring orders and reconciling.
    startupProbe: healthProbe('http', 2, 45),
    readinessProbe: healthProbe('http', 5, 3),
    livenessProbe: healthProbe('http', 10, 6),
    resources: {
      requests: { cpu: s.cpu, memory: s.memory },
      limits: { memory: s.memoryLimit },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'home', mountPath: '/var/lib/hf' },
    ],
  };
}

function appManifests(s: AppService): ManifestFile {
  const podLabels = labels(s.name, s.service, s.component);
  const selector = { 'app.kubernetes.io/name': s.name };
  const deployment: IDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: s.name, labels: podLabels },
    spec: {
      replicas: s.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: s.singleton
        ? { type: 'Recreate' }
        : s.replicas > 1
          ? { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
          : { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      template: {
        metadata: {
          labels: podLabels,
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(s.metricsPort ?? s.port),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          // SIGTERM: each service finishes in-flight work, acks and closes (the compose file gives 30 s too).
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
          containers: [appContainer(s)],
          volumes: [
            { name: 'tmp', emptyDir: {} },
            { name: 'home', emptyDir: {} },
          ],
        },
      },
    },
  };
  const documents: Manifest[] = [deployment];
  if (s.clusterService) {
    const ports = [{ name: 'http', port: s.port, targetPort: 'http', protocol: 'TCP' as const }];
    documents.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: s.name, labels: podLabels },
      spec: { type: 'ClusterIP', selector, ports },
    });
  }
  if (s.disruptionBudget)
    documents.push({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: s.name, labels: podLabels },
      spec: { minAvailable: 1, selector: { matchLabels: selector } },
    });
  return { file: s.file, header: s.header, documents };
}

function secretsFile(): ManifestFile {
  const secret: ISecret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: SECRET, labels: { 'app.kubernetes.io/part-of': PART_OF } },
    type: 'Opaque',
    stringData: {
      REDIS_PASSWORD: 'CHANGE_ME',
      POSTGRES_USER: 'hedgefund_user',
      POSTGRES_PASSWORD: 'CHANGE_ME',
      POSTGRES_DB: 'hedgefund',
      REDIS_URL: 'redis://:CHANGE_ME@redis:6379',
      DATABASE_URL: 'postgres://hedgefund_user:CHANGE_ME@postgres:5432/hedgefund',
      HF_REDIS_PREFIX: '',
      GRAFANA_ADMIN_PASSWORD: 'CHANGE_ME',
      OPENAI_API_KEY: '',
      HUGGINGFACE_TOKEN: '',
    },
  };
  return {
    file: 'secrets.yaml',
    header:
      'TEMPLATE: replace every CHANGE_ME (the same password inside REDIS_URL and DATABASE_URL) before applying,\n' +
      'and keep the filled copy out of git; or create the secret from a file of these KEY=value lines, kept\n' +
      'elsewhere: kubectl create secret generic hedgefund-secrets --from-env-file=<file>.\n' +
      'kubectl get secrets | grep hedgefund',
    documents: [secret],
  };
}

function redisFile(): ManifestFile {
  const podLabels = labels('redis', 'redis', 'datastore');
  const selector = { 'app.kubernetes.io/name': 'redis' };
  const statefulSet: IStatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'redis', labels: podLabels },
    spec: {
      serviceName: 'redis',
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: podLabels },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999 },
          containers: [
            {
              name: 'redis',
              image: 'redis:7.2-alpine',
              args: ['--requirepass', '$(REDIS_PASSWORD)', '--appendonly', 'yes', '--dir', '/data'],
              env: [
                fromSecret('REDIS_PASSWORD', 'REDIS_PASSWORD'),
                fromSecret('REDISCLI_AUTH', 'REDIS_PASSWORD'),
              ],
              ports: [{ name: 'redis', containerPort: 6379 }],
              readinessProbe: {
                exec: { command: ['redis-cli', 'ping'] },
                periodSeconds: 5,
                timeoutSeconds: 3,
              },
              livenessProbe: {
                exec: { command: ['redis-cli', 'ping'] },
                periodSeconds: 10,
                timeoutSeconds: 3,
              },
              resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } },
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
        },
      ],
    },
  };
  const service: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'redis', labels: podLabels },
    spec: { selector, ports: [{ name: 'redis', port: 6379, targetPort: 'redis' }] },
  };
  return {
    file: 'redis.yaml',
    header:
      'Redis (Streams bus and control plane) for a self-contained cluster; point REDIS_URL at a managed Redis\n' +
      'instead and skip this file. redis-cli -a "$REDIS_PASSWORD" ping',
    documents: [statefulSet, service],
  };
}

function postgresFile(): ManifestFile {
  const podLabels = labels('postgres', 'postgres', 'datastore');
  const selector = { 'app.kubernetes.io/name': 'postgres' };
  const ready = { exec: { command: ['sh', '-c', 'pg_isready -U "$POSTGRES_USER" -d "$POSTGRES_DB"'] } };
  const statefulSet: IStatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'postgres', labels: podLabels },
    spec: {
      serviceName: 'postgres',
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: podLabels },
        spec: {
          securityContext: { fsGroup: 70 },
          containers: [
            {
              name: 'postgres',
              image: 'postgres:16-alpine',
              env: [
                fromSecret('POSTGRES_USER', 'POSTGRES_USER'),
                fromSecret('POSTGRES_PASSWORD', 'POSTGRES_PASSWORD'),
                fromSecret('POSTGRES_DB', 'POSTGRES_DB'),
                { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
              ],
              ports: [{ name: 'postgres', containerPort: 5432 }],
              readinessProbe: { ...ready, periodSeconds: 5, timeoutSeconds: 3 },
              livenessProbe: { ...ready, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 },
              resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } },
              volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } },
        },
      ],
    },
  };
  const service: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'postgres', labels: podLabels },
    spec: { selector, ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres' }] },
  };
  return {
    file: 'postgres.yaml',
    header:
      'PostgreSQL (orders, fills, ledger, audit log) for a self-contained cluster; point DATABASE_URL at a managed\n' +
      'database instead and skip this file. The services apply the SQL migrations when they open the store\n' +
      '(under an advisory lock, so starting together is safe).',
    documents: [statefulSet, service],
  };
}

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

export const DASHBOARDS = ['01_Latency.json', '02_Risk_VaR_ES.json', '03_PnL_Attribution.json'] as const;

/** ConfigMap data carried verbatim from deploy/ (the test compares them with their source files). */
export const CONFIG_SOURCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'prometheus-config': {
    'prometheus.yml': 'deploy/prometheus/prometheus-k8s.yml',
    'alerts.yml': 'deploy/prometheus/alerts.yml',
  },
  'grafana-provisioning': {
    'datasource.yaml': 'deploy/grafana/provisioning/datasources/prometheus.yaml',
    'dashboards.yaml': 'deploy/grafana/provisioning/dashboards/hedgefund.yaml',
  },
  'grafana-dashboards': Object.fromEntries(DASHBOARDS.map((f) => [f, `deploy/grafana/dashboards/${f}`])),
};

function configMap(name: string): IConfigMap {
  const data: Record<string, string> = {};
  for (const [key, path] of Object.entries(CONFIG_SOURCES[name] ?? {})) data[key] = read(path);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      labels: { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/component': 'monitoring' },
    },
    data,
  };
}

function promGrafanaFile(): ManifestFile {
  const promLabels = labels('prometheus', 'prometheus', 'monitoring');
  const grafanaLabels = labels('grafana', 'grafana', 'monitoring');
  const serviceAccount: IServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'prometheus', labels: promLabels },
  };
  const role: IRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'prometheus-discovery', labels: promLabels },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
  };
  const binding: IRoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'prometheus-discovery', labels: promLabels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'prometheus-discovery' },
    subjects: [{ kind: 'ServiceAccount', name: 'prometheus' }],
  };
  const promData: IPersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'prometheus-data', labels: promLabels },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } },
  };
  const prometheus: IDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'prometheus', labels: promLabels },
    spec: {
      replicas: 1,
      // One TSDB writer on the volume: the old pod must be gone before the new one opens it.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
      template: {
        metadata: { labels: promLabels },
        spec: {
          serviceAccountName: 'prometheus',
          securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 },
          containers: [
            {
              name: 'prometheus',
              image: 'prom/prometheus:v2.54.1',
              args: [
                '--config.file=/etc/prometheus/prometheus.yml',
                '--storage.tsdb.path=/prometheus',
                '--storage.tsdb.retention.time=15d',
                '--web.enable-lifecycle',
              ],
              ports: [{ name: 'http', containerPort: 9090 }],
              readinessProbe: { httpGet: { path: '/-/ready', port: 'http' }, periodSeconds: 5 },
              livenessProbe: { httpGet: { path: '/-/healthy', port: 'http' }, periodSeconds: 15 },
              resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } },
              volumeMounts: [
                { name: 'config', mountPath: '/etc/prometheus' },
                { name: 'data', mountPath: '/prometheus' },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: 'prometheus-config' } },
            { name: 'data', persistentVolumeClaim: { claimName: 'prometheus-data' } },
          ],
        },
      },
    },
  };
  const prometheusService: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'prometheus', labels: promLabels },
    spec: {
      selector: { 'app.kubernetes.io/name': 'prometheus' },
      ports: [{ name: 'http', port: 9090, targetPort: 'http' }],
    },
  };
  const grafana: IDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'grafana', labels: grafanaLabels },
    spec: {
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      selector: { matchLabels: { 'app.kubernetes.io/name': 'grafana' } },
      template: {
        metadata: { labels: grafanaLabels },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 472, runAsGroup: 472, fsGroup: 472 },
          containers: [
            {
              name: 'grafana',
              image: 'grafana/grafana:11.2.0',
              env: [
                { name: 'GF_SECURITY_ADMIN_USER', value: 'admin' },
                fromSecret('GF_SECURITY_ADMIN_PASSWORD', 'GRAFANA_ADMIN_PASSWORD'),
                { name: 'GF_USERS_ALLOW_SIGN_UP', value: 'false' },
                {
                  name: 'GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH',
                  value: '/var/lib/grafana/dashboards/01_Latency.json',
                },
              ],
              ports: [{ name: 'http', containerPort: 3000 }],
              readinessProbe: { httpGet: { path: '/api/health', port: 'http' }, periodSeconds: 5 },
              livenessProbe: { httpGet: { path: '/api/health', port: 'http' }, periodSeconds: 15 },
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
              volumeMounts: [
                { name: 'provisioning', mountPath: '/etc/grafana/provisioning' },
                { name: 'dashboards', mountPath: '/var/lib/grafana/dashboards' },
                { name: 'storage', mountPath: '/var/lib/grafana' },
              ],
            },
          ],
          volumes: [
            {
              name: 'provisioning',
              configMap: {
                name: 'grafana-provisioning',
                items: [
                  { key: 'datasource.yaml', path: 'datasources/prometheus.yaml' },
                  { key: 'dashboards.yaml', path: 'dashboards/hedgefund.yaml' },
                ],
              },
            },
            { name: 'dashboards', configMap: { name: 'grafana-dashboards' } },
            { name: 'storage', emptyDir: {} },
          ],
        },
      },
    },
  };
  const grafanaService: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'grafana', labels: grafanaLabels },
    spec: {
      selector: { 'app.kubernetes.io/name': 'grafana' },
      ports: [{ name: 'http', port: 3000, targetPort: 'http' }],
    },
  };
  return {
    file: 'prom_grafana.yaml',
    header:
      'Monitoring (RUNBOOK.md §2.3, §8): Prometheus discovering the hedgefund pods by annotation, with the alert\n' +
      'rules of deploy/prometheus/alerts.yml, and Grafana with the dashboards 01_Latency, 02_Risk_VaR_ES,\n' +
      '03_PnL_Attribution of deploy/grafana/dashboards. The ConfigMaps carry those files verbatim.\n' +
      'kubectl port-forward svc/grafana 3000 ; kubectl port-forward svc/prometheus 9090',
    documents: [
      serviceAccount,
      role,
      binding,
      configMap('prometheus-config'),
      promData,
      prometheus,
      prometheusService,
      configMap('grafana-provisioning'),
      configMap('grafana-dashboards'),
      grafana,
      grafanaService,
    ],
  };
}

const GENERATED =
  'Generated by tests/deploy/k8s-manifests.ts (node bin/run-ts.mjs tests/deploy/k8s-manifests.ts);\n' +
  'edit there: tests/deploy/k8s.test.ts fails when this file and its source disagree.';

/** Every manifest file of k8s/, by file name, as YAML text. */
export function renderManifests(): Map<string, string> {
  const files: ManifestFile[] = [
    secretsFile(),
    promGrafanaFile(),
    redisFile(),
    postgresFile(),
    ...APP_SERVICES.map(appManifests),
  ];
  const out = new Map<string, string>();
  for (const f of files) {
    const text = f.documents
      .map((manifest, i) => {
        const document = new YAML.Document(manifest, { aliasDuplicateObjects: false });
        if (i === 0) document.commentBefore = ` ${`${f.header}\n${GENERATED}`.replace(/\n/g, '\n ')}`;
        return document.toString({ lineWidth: 0 });
      })
      .join('---\n');
    out.set(f.file, text);
  }
  return out;
}

/** The Deployments of the app services: name, file, whether a singleton (for the tests). */
export const APP_DEPLOYMENTS = APP_SERVICES.map((s) => ({
  file: s.file,
  name: s.name,
  service: s.service,
  container: s.container,
  singleton: s.singleton,
}));

if (process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename) {
  for (const [file, text] of renderManifests()) writeFileSync(join(ROOT, 'k8s', file), text);
  console.log(`wrote ${[...renderManifests().keys()].map((f) => `k8s/${f}`).join(', ')}`);
}
