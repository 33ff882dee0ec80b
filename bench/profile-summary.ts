// Top functions of a V8 profile: self time of a .cpuprofile (`node --cpu-prof`, or CPU_PROFILE= in a bench) or
// allocated bytes of a .heapprofile (HEAP_PROFILE=): `node bin/run-ts.mjs bench/profile-summary.ts FILE [N]`.
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: CallFrame }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}
interface HeapNode {
  readonly callFrame: CallFrame;
  readonly selfSize: number;
  readonly children: readonly HeapNode[];
}

function label(frame: CallFrame): string {
  const file = frame.url.replace(/^file:\/\/.*?\/(src|bench|node_modules)\//, '$1/');
  const line = frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : '';
  return `${frame.functionName || '(anonymous)'} ${file}${line}`.trim();
}

function print(totals: Map<string, number>, unit: 'ms' | 'MB', scale: number, top: number): void {
  let total = 0;
  for (const v of totals.values()) total += v;
  console.log(`total ${(total / scale).toFixed(0)} ${unit}`);
  for (const [key, v] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(
      `${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / scale).toFixed(1).padStart(8)} ${unit}  ${key}`,
    );
}

const file = process.argv[2];
if (!file) {
  console.error('usage: profile-summary <file.cpuprofile | file.heapprofile> [top N]');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 30);
const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<CpuProfile> & { head?: HeapNode };
const totals = new Map<string, number>();
if (data.head) {
  const stack: HeapNode[] = [data.head];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const key = label(node.callFrame);
    totals.set(key, (totals.get(key) ?? 0) + node.selfSize);
    stack.push(...node.children);
  }
  print(totals, 'MB', 2 ** 20, top);
} else {
  // The inspector's own work (Profiler.stop when profiled with CPU_PROFILE) and idle time are not the bench's.
  const excluded = (frame: CallFrame): boolean =>
    frame.functionName === '(idle)' || (frame.functionName === 'dispatch' && frame.url === '');
  const frames = new Map<number, CallFrame>();
  for (const node of data.nodes ?? []) frames.set(node.id, node.callFrame);
  const deltas = data.timeDeltas ?? [];
  (data.samples ?? []).forEach((id, i) => {
    const frame = frames.get(id);
    if (!frame || excluded(frame)) return;
    const key = label(frame);
    totals.set(key, (totals.get(key) ?? 0) + (deltas[i] ?? 0));
  });
  print(totals, 'ms', 1000, top);
}
