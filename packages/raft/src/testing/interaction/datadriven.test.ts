// The scenario-script machinery: the file format round-trips through the
// rewrite, a wrong expectation is caught at its line (so the script suite
// can fail), and a command that throws is reported with file and line.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCommand } from './commands.js';
import { parseScript, runScript } from './datadriven.js';
import { InteractionEnv } from './env.js';

const echo = (command: string): string => command.toUpperCase();

describe('scenario scripts', () => {
  it('rewriting a script whose output matches changes nothing, comments and blank lines included', () => {
    const text = '# a comment\n\nhello a\n----\nHELLO A\n\n# more\nbye\n----\nBYE\n';
    const run = runScript('t.txt', text, echo);
    assert.equal(run.mismatch, undefined);
    assert.equal(run.rewritten, text);
  });

  it('a mismatch names the line of its command; the rewrite records the actual output', () => {
    const text = '# c\nhello\n----\nHELLO\n\nbye\n----\nwrong\n';
    const run = runScript('t.txt', text, echo);
    assert.equal(run.mismatch?.c.line, 6);
    assert.equal(run.mismatch.actual, 'BYE');
    assert.equal(run.rewritten, '# c\nhello\n----\nHELLO\n\nbye\n----\nBYE\n');
  });

  it('output holding a blank line is fenced and reads back whole', () => {
    const run = runScript('t.txt', 'x\n----\n', () => 'a\n\nb');
    assert.equal(run.rewritten, 'x\n----\n----\na\n\nb\n----\n----\n');
    assert.deepEqual(parseScript('t.txt', run.rewritten), [{ line: 1, command: 'x', expected: 'a\n\nb' }]);
  });

  it('a command that throws, or a missing separator, is reported with file and line', () => {
    assert.throws(() => runScript('t.txt', 'a\n----\nA\n\nboom\n----\n', (c) => (c === 'boom' ? assert.fail('bad') : c.toUpperCase())), /^Error: t\.txt:5: boom: /);
    assert.throws(() => parseScript('t.txt', 'a\nA\n'), /t\.txt:1: expected '----'/);
  });

  it('a script of real Raft output passes as recorded, and a wrong claim about it fails', () => {
    const script = 'add-nodes 3 voters=(1,2,3)\n----\n\ncampaign 1\n----\n\nstabilize\n----\n\nstatus 1\n----\n';
    const run = (text: string): ReturnType<typeof runScript> => {
      const env = new InteractionEnv();
      return runScript('r.txt', text, (c) => runCommand(env, c));
    };
    const recorded = run(script).rewritten;
    assert.equal(run(recorded).mismatch, undefined, 'a recording replays');
    assert.match(recorded, /^1: leader Term:2 /m);
    const wrong = run(recorded.replace(/^1: leader Term:2 /m, '1: follower Term:2 '));
    assert.equal(wrong.mismatch?.c.line, recorded.split('\n').indexOf('status 1') + 1, 'a wrong expectation passed');
  });
});
