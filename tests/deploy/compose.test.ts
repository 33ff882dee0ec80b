// docker compose offline (no Docker engine here): the runbook's command line
// `docker-compose -f docker-compose.yaml -f docker-compose.override.yaml config` resolves the files with the
// committed .env.example, refuses to without the secrets, and the resolved stack has the runbook's services,
// health checks on the ports the services really use, and secrets only from the environment.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { SERVICE_PORTS, SERVICES } from '../../src/cli/service.ts';
import { ROOT } from '../helpers.ts';

interface ComposeService {
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile?: string };
  readonly command?: readonly string[];
  readonly environment?: Record<string, string>;
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly depends_on?: Record<string, { readonly condition: string }>;
  readonly ports?: readonly unknown[];
  readonly restart?: string;
  readonly volumes?: readonly (string | { readonly source: string; readonly target: string })[];
}
interface Compose {
  readonly services: Record<string, ComposeService>;
}

function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

const binary = findBinary('docker-compose');
const skip =
  binary === undefined ? 'docker-compose is not installed (apt-get install docker-compose)' : undefined;
if (skip) console.warn(`\n!!! SKIPPING docker compose validation: ${skip} !!!\n`);

const FILES = ['-f', 'docker-compose.yaml', '-f', 'docker-compose.override.yaml'];

function compose(envFile: string, ...args: string[]): { code: number; stdout: string; stderr: string } {
  // A clean environment: secrets in the test runner's environment must not stand in for the env file.
  const result = spawnSync(binary as string, ['--env-file', envFile, ...FILES, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The port a service's health check fetches. */
const healthPort = (service: ComposeService): number | undefined => {
  const match = /127\.0\.0\.1:(\d+)\/health/.exec((service.healthcheck?.test ?? []).join(' '));
  return match ? Number(match[1]) : undefined;
};

describe.skipIf(skip !== undefined)('docker compose files', () => {
  const resolved = (): Compose => {
    const result = compose('.env.example', 'config');
    expect(result.stderr).not.toMatch(/ERROR/);
    expect(result.code).toBe(0);
    return YAML.parse(result.stdout) as Compose;
  };

  it("resolve with .env.example into the runbook's stack", () => {
    const { services } = resolved();
    for (const name of [
      'api',
      'ws',
      'ingest',
      'strategy',
      'risk',
      'router',
      'ledger',
      'reconciler',
      'news',
      'analyst-worker',
      'scenario-worker',
      'sentiment-worker',
      'redis',
      'postgres',
      'prometheus',
      'grafana',
    ])
      expect(Object.keys(services), name).toContain(name);
  });

  it('refuse to resolve without the secrets, naming the missing variable', () => {
    const empty = join(mkdtempSync(join(tmpdir(), 'hf-compose-')), 'empty.env');
    writeFileSync(empty, '');
    const result = compose(empty, 'config');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/REDIS_PASSWORD|POSTGRES_USER|POSTGRES_PASSWORD|GRAFANA_ADMIN_PASSWORD/);
  });

  it('run every hf service from the one image, with a health check on the port the service listens on', () => {
    const { services } = resolved();
    let checked = 0;
    for (const [name, service] of Object.entries(services)) {
      const command = service.command ?? [];
      if (command[0] !== 'service' && command[0] !== 'migrate') continue;
      expect(service.image, name).toBe('hedgefund/platform:dev');
      expect(service.build?.dockerfile, name).toBe('Dockerfile');
      expect(service.environment?.REDIS_URL, name).toBe('redis://:change-me-redis@redis:6379');
      expect(service.environment?.DATABASE_URL, name).toBe(
        'postgres://hedgefund_user:change-me-postgres@postgres:5432/hedgefund',
      );
      if (command[0] === 'migrate') {
        expect(service.restart, name).toBe('no');
        continue;
      }
      const hfService = command[1] as string;
      const portArg = command.indexOf('--port');
      const expected =
        portArg >= 0
          ? Number(command[portArg + 1])
          : (SERVICES as readonly string[]).includes(hfService)
            ? SERVICE_PORTS[hfService as keyof typeof SERVICE_PORTS]
            : undefined;
      expect(expected, `${name}: hf service ${hfService} has a known port`).toBeDefined();
      expect(healthPort(service), `${name}: health check port`).toBe(expected);
      // Every hf service waits for the migrations, which wait for healthy Redis and PostgreSQL.
      const waitsFor = Object.keys(service.depends_on ?? {});
      expect(waitsFor.includes('migrate') || waitsFor.includes('router'), `${name}: depends_on`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(12);
    expect(services.migrate?.depends_on).toEqual({
      redis: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
    });
    for (const name of ['redis', 'postgres', 'prometheus', 'grafana'])
      expect(services[name]?.healthcheck, `${name}: healthcheck`).toBeDefined();
  });

  it("publish the runbook's smoke-test ports: API 8000, WS 8765; Redis and PostgreSQL on localhost in the override", () => {
    const { services } = resolved();
    const published = (name: string): string => JSON.stringify(services[name]?.ports ?? []);
    expect(published('api')).toMatch(/"published":\s*"?8000/);
    expect(published('ws')).toMatch(/"published":\s*"?8765/);
    expect(published('redis')).toMatch(/127\.0\.0\.1.*6379|6379.*127\.0\.0\.1/);
    expect(published('postgres')).toMatch(/127\.0\.0\.1.*5432|5432.*127\.0\.0\.1/);
  });

  it('mount files that exist', () => {
    const { services } = resolved();
    for (const [name, service] of Object.entries(services))
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source;
        if (source?.startsWith('/')) expect(existsSync(source), `${name}: ${source}`).toBe(true);
      }
  });
});

describe('secrets stay out of the compose files and the image', () => {
  const raw = ['docker-compose.yaml', 'docker-compose.override.yaml'].map((f) =>
    readFileSync(join(ROOT, f), 'utf8'),
  );

  it('take every secret from the environment (.env), and .env.example names every variable they use', () => {
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const declared = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const used = new Set(raw.flatMap((text) => [...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1])));
    expect(used.size).toBeGreaterThan(3);
    for (const name of used) expect(declared, `${name} in .env.example`).toContain(name);
    for (const text of raw) {
      expect(text).not.toMatch(/^\s*[A-Z_]*(PASSWORD|TOKEN|KEY)[A-Z_]*:\s+(?!\$\{)\S/m);
      expect(text).not.toContain('change-me');
    }
  });

  it('.env is ignored by git and by the image build', () => {
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('.env');
    const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(dockerignore).toContain('.env');
    expect(dockerignore).toContain('.env.*');
  });
});
