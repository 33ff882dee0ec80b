// Where the CLI finds things: the platform home (HF_HOME or ./.hf), the config folder (HF_CONFIG_DIR or
// ./configs), the control file and the running process's control channel.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlFilePath } from '../kernel/control-file.ts';
import { controlSocketPath } from '../services/control-channel.ts';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliPaths {
  readonly home: string;
  readonly configDir: string;
  readonly controlFile: string;
  readonly socket: string;
}

export function resolvePaths(options: { home?: string; config?: string } = {}): CliPaths {
  const home = resolve(options.home ?? process.env.HF_HOME ?? '.hf');
  let configDir = options.config ?? process.env.HF_CONFIG_DIR;
  if (configDir === undefined)
    configDir = existsSync('configs/registry.yaml') ? 'configs' : join(PACKAGE_ROOT, 'configs');
  return {
    home,
    configDir: resolve(configDir),
    controlFile: controlFilePath(home),
    socket: controlSocketPath(home),
  };
}

/** Output streams, injectable so commands can be tested in process. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CliIo = {
  out: (line) => void process.stdout.write(line + '\n'),
  err: (line) => void process.stderr.write(line + '\n'),
};
