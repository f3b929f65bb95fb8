// Bulk progress as wrangler words it: one line rewritten in place on a terminal, a line per step elsewhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bulkProgress } from '../../src/cli/bulk-progress.js';

function stream(isTTY: boolean): { out: NodeJS.WriteStream; written: () => string } {
  let text = '';
  const out = { isTTY, write: (chunk: string) => { text += chunk; return true; } } as unknown as NodeJS.WriteStream;
  return { out, written: () => text };
}

test('on a terminal the same line is rewritten, and ended once', () => {
  const { out, written } = stream(true);
  const progress = bulkProgress('Uploaded', 10_000, out);
  for (const done of [0, 4_000, 10_000]) progress.update(done);
  progress.end();
  assert.equal(written(), '\r\x1b[2KUploaded 0% (0 out of 10,000)\r\x1b[2KUploaded 40% (4,000 out of 10,000)\r\x1b[2KUploaded 100% (10,000 out of 10,000)\n');
});

test('elsewhere each step is a line of its own', () => {
  const { out, written } = stream(false);
  const progress = bulkProgress('Deleted', 2_500, out);
  for (const done of [1_000, 2_000, 2_500]) progress.update(done);
  progress.end();
  assert.equal(written(), 'Deleted 40% (1,000 out of 2,500)\nDeleted 80% (2,000 out of 2,500)\nDeleted 100% (2,500 out of 2,500)\n');
});
