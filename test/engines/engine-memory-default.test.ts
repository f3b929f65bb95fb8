// The engine memory watchdog's default ([pool] engine_memory_mb unset): a share of the machine's
// memory, but never less than an engine may legitimately hold under [pool] max_resident_mb.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultEngineMemoryMb } from '../../src/host/engines/supervisor.js';

test('three quarters of the memory shared among the engines, where that is the larger', () => {
  // 64 GB, 4 engines: 12 GB each.
  assert.equal(defaultEngineMemoryMb(65_536, 4, 4_096), 12_288);
  assert.equal(defaultEngineMemoryMb(65_536, 0, 4_096), 49_152, 'engines 0 counts as one');
});

test('never below max_resident_mb plus the engine\'s own 512 MB: many cores, little memory', () => {
  // 32 GB over 16 engines would be 1.5 GB, under the 4 GB of isolates each engine may keep.
  assert.equal(defaultEngineMemoryMb(32_768, 16, 4_096), 4_608);
  assert.equal(defaultEngineMemoryMb(32_768, 16, 256), 1_536);
});
