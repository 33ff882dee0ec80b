// Group commit: joins in one turn share one write; writes run one after another; a failure rejects its batch
// and the next join writes again.
import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.ts';

describe('GroupCommit', () => {
  it('writes once for every join made before the write starts, in order, never two writes at once', async () => {
    const pending: number[] = [];
    const written: number[][] = [];
    let running = 0;
    let overlapped = false;
    const commits = new GroupCommit(async () => {
      running++;
      if (running > 1) overlapped = true;
      const batch = pending.splice(0);
      await new Promise((r) => setTimeout(r, 5));
      written.push(batch);
      running--;
    });
    const first: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      pending.push(i);
      first.push(commits.join());
    }
    expect(commits.collecting).toBe(true);
    await Promise.resolve();
    await Promise.resolve();
    // The first write has started; these join the next batch.
    pending.push(5, 6);
    const second = [commits.join(), commits.join()];
    await Promise.all([...first, ...second]);
    expect(written).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6],
    ]);
    expect(overlapped).toBe(false);
    expect(commits.collecting).toBe(false);
  });

  it('rejects the batch whose write failed, and a later join writes again', async () => {
    let fail = true;
    let writes = 0;
    const commits = new GroupCommit(async () => {
      writes++;
      if (fail) throw new Error('store down');
    });
    await expect(commits.join()).rejects.toThrow('store down');
    await commits.idle;
    fail = false;
    await expect(commits.join()).resolves.toBeUndefined();
    expect(writes).toBe(2);
  });
});
