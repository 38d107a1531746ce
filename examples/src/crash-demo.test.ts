// The README's main command runs this demo; this keeps it working.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('crash demo', () => {
  it('writes, crashes, recovers and detects corruption, exiting 0', async () => {
    const script = new URL('./crash-demo.js', import.meta.url).pathname;
    const { stdout } = await run(process.execPath, [script, '--seed', '7']);
    assert.match(stdout, /after the power loss: +accounts: alice=70, bob=80; audit entries: 1/);
    assert.match(stdout, /after the process crash: +accounts: alice=70, bob=80, carol=10; audit entries: 1/);
    assert.match(stdout, /alice=70 in all 20/);
    assert.match(stdout, /Refused with Corruption in \/demo\/mem-000001\.log at offset \d+/);
  });

  it('rejects a bad seed with a clear message', async () => {
    const script = new URL('./crash-demo.js', import.meta.url).pathname;
    await assert.rejects(run(process.execPath, [script, '--seed', 'abc']), (err: unknown) =>
      /--seed must be an integer/.test(String((err as { stderr?: string }).stderr)),
    );
  });
});
