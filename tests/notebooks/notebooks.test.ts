// Executes every notebook in notebooks/ headlessly with the tslab kernel (`jupyter nbconvert --to notebook
// --execute`) and fails on any cell that errors; each notebook's charts must come out as inline SVG. The notebooks
// that read the shared data run a second time without it, on their synthetic stand-ins. Skipped, with the reason,
// when Jupyter's nbconvert or the tslab kernel is missing (`npm run notebooks` installs the kernel).

import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const NOTEBOOKS = join(ROOT, 'notebooks');
const LOCAL_TSLAB = join(NOTEBOOKS, 'kernel', 'node_modules', 'tslab', 'bin', 'tslab');
/** Notebooks that read the shared data folder and fall back to generated data without it. */
const READS_SHARED_DATA = new Set(['strategy-research.ipynb', 'risk.ipynb']);

interface NotebookOutput {
  readonly output_type: string;
  readonly name?: string;
  readonly text?: string | string[];
  readonly data?: Record<string, string | string[]>;
  readonly ename?: string;
  readonly evalue?: string;
}
interface NotebookCell {
  readonly cell_type: string;
  readonly outputs?: NotebookOutput[];
}

const work = mkdtempSync(join(tmpdir(), 'hf-notebooks-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The environment to run the kernel in, or why the notebooks cannot run here. */
function findKernel(): { readonly env: NodeJS.ProcessEnv } | { readonly skip: string } {
  const nbconvert = spawnSync('jupyter', ['nbconvert', '--version'], { encoding: 'utf8' });
  if (nbconvert.status !== 0)
    return {
      skip: 'jupyter nbconvert is not installed (apt-get install jupyter-nbconvert python3-ipykernel jupyter-client)',
    };
  if (existsSync(LOCAL_TSLAB)) {
    // A kernel spec of our own for the copy `npm run notebooks` installed, whatever the user has registered.
    const kernels = join(work, 'jupyter', 'kernels', 'tslab');
    mkdirSync(kernels, { recursive: true });
    writeFileSync(
      join(kernels, 'kernel.json'),
      JSON.stringify({
        argv: [process.execPath, LOCAL_TSLAB, 'kernel', '--config-path', '{connection_file}'],
        display_name: 'TypeScript',
        language: 'typescript',
      }),
    );
    return { env: { ...process.env, JUPYTER_PATH: join(work, 'jupyter') } };
  }
  const list = spawnSync('jupyter', ['kernelspec', 'list', '--json'], { encoding: 'utf8' });
  if (list.status === 0 && /"tslab"/.test(list.stdout)) return { env: { ...process.env } };
  return { skip: 'the tslab kernel is not installed (run `npm run notebooks`)' };
}

function text(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join('') : (value ?? '');
}

/** Runs one notebook to a copy and returns its cells; throws with nbconvert's output when a cell fails. */
function execute(file: string, env: NodeJS.ProcessEnv, suffix: string): NotebookCell[] {
  const output = join(work, `${file.replace(/\.ipynb$/, '')}${suffix}.ipynb`);
  const run = spawnSync(
    'jupyter',
    [
      'nbconvert',
      '--to',
      'notebook',
      '--execute',
      '--ExecutePreprocessor.timeout=600',
      '--output',
      output,
      file,
    ],
    { cwd: NOTEBOOKS, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.status !== 0)
    throw new Error(
      `${file}${suffix}: nbconvert exited ${run.status}\n${run.stderr.split('\n').slice(-40).join('\n')}`,
    );
  return (JSON.parse(readFileSync(output, 'utf8')) as { cells: NotebookCell[] }).cells;
}

/**
 * No cell failed or printed an error, and the charts are SVG with something drawn. (That every cell ran is
 * nbconvert's exit status: it stops at the first failing cell; tslab leaves execution counts empty.)
 */
function check(cells: readonly NotebookCell[]): { readonly charts: number; readonly printed: string } {
  let charts = 0;
  let printed = '';
  for (const [index, cell] of cells.entries()) {
    if (cell.cell_type !== 'code') continue;
    for (const output of cell.outputs ?? []) {
      expect(output.output_type, `cell ${index}: ${output.ename ?? ''} ${output.evalue ?? ''}`).not.toBe(
        'error',
      );
      if (output.output_type === 'stream') {
        printed += text(output.text);
        if (output.name === 'stderr')
          expect(text(output.text), `cell ${index} printed an error`).not.toMatch(/Error|Unhandled/);
      }
      const svg = output.data?.['image/svg+xml'];
      if (svg !== undefined) {
        const drawing = text(svg);
        expect(drawing.startsWith('<svg'), `cell ${index}: not an SVG`).toBe(true);
        expect(drawing, `cell ${index}: an empty chart`).not.toContain('no data to chart');
        expect(drawing).toMatch(
          /<path d="M|<rect x="[0-9.]+" y="[0-9.]+" width="[0-9.]+" height="[0-9.]*[1-9]/,
        );
        charts++;
      }
    }
  }
  return { charts, printed };
}

const kernel = findKernel();
const notebooks = readdirSync(NOTEBOOKS)
  .filter((name) => name.endsWith('.ipynb'))
  .sort();

describe.skipIf('skip' in kernel)(
  'skip' in kernel ? `notebooks (skipped: ${kernel.skip})` : 'notebooks, executed with the tslab kernel',
  () => {
    const env = 'env' in kernel ? kernel.env : {};

    it('are there to run', () => {
      expect(notebooks).toEqual(['risk.ipynb', 'strategy-research.ipynb', 'tca-recorded-day.ipynb']);
    });

    for (const file of notebooks) {
      it(`${file} runs top to bottom and draws its charts`, { timeout: 900_000 }, () => {
        const { charts } = check(execute(file, env, ''));
        expect(charts).toBeGreaterThanOrEqual(3);
      });
    }

    for (const file of notebooks.filter((name) => READS_SHARED_DATA.has(name))) {
      it(`${file} runs on generated data when the shared data is missing`, { timeout: 900_000 }, () => {
        const missing = join(work, 'no-shared-data');
        const { charts, printed } = check(
          execute(file, { ...env, HF_SHARED_DATA: missing }, '-without-shared-data'),
        );
        expect(printed).toContain('synthetic');
        expect(charts).toBeGreaterThanOrEqual(3);
      });
    }
  },
);
