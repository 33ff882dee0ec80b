// Resolves a strategies.yaml entry to a Strategy instance: a class given in code by name (the kernel's
// `strategyClasses`), a built-in by name, or a user's .ts/.js file (default export or any exported Strategy
// subclass). A file that fails to load or exports no Strategy is reported with its path.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../common/errors.ts';
import type { InstrumentId } from '../model/index.ts';
import { builtinStrategies } from '../strategy/builtins/index.ts';
import { Strategy, type StrategyClass, type StrategyEntry } from '../strategy/index.ts';

function isStrategyClass(value: unknown): value is StrategyClass {
  return typeof value === 'function' && value.prototype instanceof Strategy;
}

/** True when the nearest package.json above `path` says `"type": "module"` (so a .ts file loads as ESM). */
function inModuleScope(path: string): boolean {
  let dir = dirname(path);
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        return (JSON.parse(readFileSync(candidate, 'utf8')) as { type?: unknown }).type === 'module';
      } catch {
        return false;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

export async function loadStrategyClass(
  spec: string,
  baseDir: string,
  file: string,
  key: string,
  classes?: Readonly<Record<string, StrategyClass>>,
): Promise<StrategyClass> {
  const given = classes !== undefined && Object.hasOwn(classes, spec) ? classes[spec] : undefined;
  if (given) return given;
  const builtin = builtinStrategies[spec];
  if (builtin) return builtin;
  if (!/[/\\]|\.(ts|js|mjs|mts)$/.test(spec))
    throw new ConfigError(
      file,
      key,
      `unknown strategy "${spec}" (built-ins: ${Object.keys(builtinStrategies).join(', ')}; or give a file path)`,
    );
  const path = isAbsolute(spec) ? spec : resolve(baseDir, spec);
  if (!existsSync(path)) throw new ConfigError(file, key, `strategy file not found: ${path}`);
  if (path.endsWith('.ts') && !inModuleScope(path))
    throw new ConfigError(
      file,
      key,
      `strategy file ${path} is not in an ES module scope: name it .mts, or put a package.json with {"type": "module"} in its folder`,
    );
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(file, key, `strategy file ${path} failed to load: ${(error as Error).message}`);
  }
  const candidates = [module.default, ...Object.values(module)].filter(isStrategyClass);
  const found = candidates[0];
  if (!found) throw new ConfigError(file, key, `${path} does not export a Strategy subclass`);
  return found;
}

export async function instantiateStrategy(
  entry: StrategyEntry,
  baseDir: string,
  file: string,
  index: number,
  classes?: Readonly<Record<string, StrategyClass>>,
): Promise<Strategy> {
  const key = `strategies[${index}]`;
  const cls = await loadStrategyClass(entry.strategy, baseDir, file, `${key}.strategy`, classes);
  try {
    return new cls(entry.params, entry.instruments as InstrumentId[]);
  } catch (error) {
    throw new ConfigError(file, `${key}.params`, (error as Error).message);
  }
}
