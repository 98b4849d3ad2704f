import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { releaseAtTickEnd, writeAtTickEnd } from '../lib/tick-end.ts';

describe('tick end', () => {
  it('releases before it writes, whichever was asked for first, with the continuations of a release in between', async () => {
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      writeAtTickEnd(() => {
        order.push('write');
        resolve();
      });
      releaseAtTickEnd(() => {
        order.push('release');
        void Promise.resolve().then(() => order.push('reply sent'));
      });
    });
    assert.deepEqual(order, ['release', 'reply sent', 'write']);
  });

  it('runs what is asked for while it writes at the end of the next event-loop turn', async () => {
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      writeAtTickEnd(() => {
        order.push('write');
        releaseAtTickEnd(() => order.push('late release'));
        writeAtTickEnd(() => {
          order.push('late write');
          resolve();
        });
      });
    });
    assert.deepEqual(order, ['write', 'late release', 'late write']);
  });
});
