// Machine details printed beside every benchmark figure: CPU model, cores, memory, Node version, date.
import { readFileSync } from 'node:fs';
import { cpus, platform, release, totalmem, arch } from 'node:os';

export interface MachineDetails {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly v8: string;
  readonly os: string;
  readonly date: string;
}

/** `model name` from /proc/cpuinfo (Linux), else what os.cpus() reports. */
function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) return match[1].trim();
  } catch {
    // not Linux: fall through
  }
  return cpus()[0]?.model.trim() ?? 'unknown';
}

export function machineDetails(): MachineDetails {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    os: `${platform()} ${release()} ${arch()}`,
    date: new Date().toISOString(),
  };
}

export function describeMachine(details: MachineDetails = machineDetails()): string {
  return (
    `${details.cpu}, ${details.cores} cores, ${details.memoryGiB} GiB RAM, Node ${details.node} (V8 ${details.v8}), ` +
    `${details.os}, ${details.date}`
  );
}

export function printMachine(title: string): void {
  console.log(`\n== ${title} ==`);
  console.log(`machine: ${describeMachine()}`);
}
