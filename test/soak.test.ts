import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { within } from './helpers.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('soak (short)', { timeout: 90_000 }, () => {
  it('loses no reply, leaves no entry and keeps the server up under mixed abuse', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/soak.ts', '--clients', '150', '--seconds', '4', '--json'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const [code] = await within(once(child, 'exit'), 'the soak to finish', 80_000).catch((err) => {
      child.kill('SIGKILL');
      throw err;
    });
    const report = JSON.parse(out) as Record<string, unknown>;
    assert.equal(report.lostReplies, 0);
    assert.equal(report.serverCrashes, 0);
    assert.equal(report.entriesLeft, 0);
    assert.ok((report.framesSent as number) > 100, 'the clients did send');
    assert.equal(report.rssEndWithin10Percent, true, JSON.stringify(report.rssMiB));
    assert.equal(code, 0);
  });
});
