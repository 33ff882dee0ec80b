// Optional profiling of a bench's timed section only (not its set-up): CPU_PROFILE=file.cpuprofile writes a V8
// CPU profile, HEAP_PROFILE=file.heapprofile a sampling allocation profile. Read them with profile-summary.ts.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

let session: Session | undefined;

/** Starts the profilers asked for in the environment; a no-op when neither variable is set. */
export async function startProfiling(): Promise<void> {
  if (!process.env.CPU_PROFILE && !process.env.HEAP_PROFILE) return;
  session = new Session();
  session.connect();
  if (process.env.CPU_PROFILE) {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  if (process.env.HEAP_PROFILE) {
    await session.post('HeapProfiler.enable');
    // Every allocation, not only what is still alive at the end: the garbage is what the scavenger pays for.
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as never);
  }
}

/** Stops the profilers started by startProfiling and writes their files (once per process). */
export async function stopProfiling(): Promise<void> {
  const current = session;
  if (!current) return;
  session = undefined;
  const cpuFile = process.env.CPU_PROFILE;
  if (cpuFile) {
    const { profile } = await current.post('Profiler.stop');
    writeFileSync(cpuFile, JSON.stringify(profile));
    console.log(`CPU profile of the timed section written to ${cpuFile}`);
  }
  const heapFile = process.env.HEAP_PROFILE;
  if (heapFile) {
    const { profile } = await current.post('HeapProfiler.stopSampling');
    writeFileSync(heapFile, JSON.stringify(profile));
    console.log(`allocation profile of the timed section written to ${heapFile}`);
  }
  current.disconnect();
  delete process.env.CPU_PROFILE;
  delete process.env.HEAP_PROFILE;
}
