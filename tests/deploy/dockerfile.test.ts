// The Dockerfile offline (no Docker engine here): a multi-stage build on node:20-slim that installs from the
// lockfile, copies only what exists and what .dockerignore lets through, and runs `node bin/hf.mjs service <name>`
// as an unprivileged user.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.ts';

interface Instruction {
  readonly keyword: string;
  readonly argument: string;
  readonly stage: string;
}

/** Instructions with their stage, continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = '';
  const joined = text.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\w+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`not an instruction: ${line}`);
    const keyword = (match[1] as string).toUpperCase();
    const argument = (match[2] as string).trim();
    if (keyword === 'FROM') stage = /\bAS\s+(\S+)/i.exec(argument)?.[1] ?? argument;
    out.push({ keyword, argument, stage });
  }
  return out;
}

const instructions = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const inStage = (stage: string): Instruction[] => instructions.filter((i) => i.stage === stage);
const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

describe('Dockerfile', () => {
  it('builds in stages from node:20-slim', () => {
    const from = instructions.filter((i) => i.keyword === 'FROM');
    expect(from.map((i) => i.stage)).toEqual(['build', 'runtime']);
    const image = instructions.find((i) => i.keyword === 'ARG' && i.argument.startsWith('NODE_IMAGE='));
    expect(image?.argument).toBe('NODE_IMAGE=node:20-slim');
    for (const f of from) expect(f.argument).toMatch(/^\$\{NODE_IMAGE\} AS /);
  });

  it('installs from the lockfile, type-checks, and keeps production dependencies only', () => {
    const runs = inStage('build')
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.argument);
    expect(runs[0]).toBe('npm ci');
    expect(runs.some((r) => r.includes('tsc -p tsconfig.json --noEmit'))).toBe(true);
    // The dashboard is built with the dev dependencies, before they are pruned, and shipped to the runtime.
    expect(runs.indexOf('npx vite build --config frontend/vite.config.ts')).toBe(runs.length - 2);
    expect(
      inStage('runtime').some((i) => i.argument === '--from=build /app/frontend/dist ./frontend/dist'),
    ).toBe(true);
    expect(runs.at(-1)).toBe('npm prune --omit=dev');
    const lockfileCopy = inStage('build').find((i) => i.keyword === 'COPY');
    expect(lockfileCopy?.argument).toBe('package.json package-lock.json ./');
  });

  it('copies only paths that exist and that .dockerignore does not exclude', () => {
    for (const copy of instructions.filter((i) => i.keyword === 'COPY' && !i.argument.startsWith('--from'))) {
      const sources = copy.argument.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        expect(existsSync(join(ROOT, source)), source).toBe(true);
        expect(dockerignore, `${source} is excluded by .dockerignore`).not.toContain(source);
      }
    }
    for (const copy of inStage('runtime').filter((i) => i.keyword === 'COPY'))
      expect(copy.argument, 'runtime copies from the build stage').toMatch(/^--from=build /);
  });

  it('runs `node bin/hf.mjs service <name>` as the node user, stopped by SIGTERM', () => {
    const runtime = inStage('runtime');
    const last = (keyword: string): string | undefined =>
      runtime.filter((i) => i.keyword === keyword).at(-1)?.argument;
    expect(last('USER')).toBe('node');
    expect(JSON.parse(last('ENTRYPOINT') ?? 'null')).toEqual(['node', 'bin/hf.mjs']);
    expect(JSON.parse(last('CMD') ?? 'null')).toEqual(['service', 'api']);
    expect(last('STOPSIGNAL')).toBe('SIGTERM');
    expect(last('ENV')).toContain('HF_HOME=/var/lib/hf');
    expect(existsSync(join(ROOT, 'bin/hf.mjs'))).toBe(true);
  });

  it('ships .env.example, so a production container refuses its example passwords', () => {
    const runtime = inStage('runtime');
    expect(
      runtime.find((i) => i.keyword === 'COPY' && i.argument === '--from=build /app/.env.example ./'),
    ).toBeDefined();
    expect(runtime.some((i) => i.keyword === 'ENV' && i.argument.includes('NODE_ENV=production'))).toBe(true);
    expect(dockerignore).toContain('!.env.example');
  });
});
