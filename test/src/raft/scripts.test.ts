// Raft scenario scripts (etcd raft's testdata/*.txt interaction tests): one
// test per file in test/testdata/raft, each command's output compared with
// the block recorded under it. `REWRITE=1 node --test
// test/dist/raft/scripts.test.js` records the actual output instead; read
// the diff before committing it, since the rewrite accepts whatever happens.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InteractionEnv, runCommand, runScript } from '@strata/raft/testing';

// From test/dist/raft/scripts.test.js, whatever the working directory.
const dir = fileURLToPath(new URL('../../testdata/raft/', import.meta.url));
const rewrite = process.env['REWRITE'] === '1';
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

describe('raft scenario scripts', () => {
  it('finds scripts', () => assert.ok(files.length > 0, `no *.txt in ${dir}`));

  for (const file of files) {
    it(file, () => {
      const path = join(dir, file);
      const text = readFileSync(path, 'utf8');
      const env = new InteractionEnv();
      const run = runScript(path, text, (command) => runCommand(env, command));
      if (rewrite) {
        if (run.rewritten !== text) writeFileSync(path, run.rewritten);
        return;
      }
      const m = run.mismatch;
      if (m === undefined) return;
      assert.fail(
        `${path}:${m.c.line}: output of '${m.c.command}' differs\n--- expected\n${m.c.expected}\n--- actual\n${m.actual}\n` +
          '(if the new output is right, rerun with REWRITE=1 and review the diff)',
      );
    });
  }
});
