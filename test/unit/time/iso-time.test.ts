import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IsoTimeFormatter } from '../../../src/time/iso-time.js';

describe('IsoTimeFormatter', () => {
  it('writes what toISOString writes, for nearby, far apart, edge and odd times', () => {
    const formatter = new IsoTimeFormatter();
    const times = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 1_764_936_000_000, 1_764_936_000_999, 1_764_936_001_000, 253_402_300_799_999, 951_782_400_000, -1, -1000, 1.5, 999.9, 253_402_300_800_000, 8.64e15];
    let at = 1_764_936_000_000;
    for (let i = 0; i < 5000; i++) {
      at += Math.floor(Math.random() * 700);
      times.push(at);
    }
    for (let i = 0; i < 2000; i++) times.push(Math.floor(Math.random() * 253_402_300_800_000));
    for (const ms of times) assert.equal(formatter.format(ms), new Date(ms).toISOString(), `for ${ms}`);
  });
});
