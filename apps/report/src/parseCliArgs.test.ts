import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './parseCliArgs';

describe('parseCliArgs', () => {
  it('parses RUNS_DIR, --out and options with defaults', () => {
    const r = parseCliArgs(['runs', '--out', 'rep', '--score', 'minmax', '--reps', '500', '--seed', '3', '--include-running']);
    expect(r.kind).toBe('options');
    if (r.kind !== 'options') return;
    expect(r.options).toMatchObject({ runsDir: 'runs', outDir: 'rep', score: 'minmax', bootstrapReps: 500, bootstrapSeed: 3, includeRunning: true, baseline: 'baseline', curveReps: 500 });
  });
  it.each([
    [['runs', '--out', 'x', '--bogus'], 'unknown flag --bogus'],
    [['--out', 'x'], 'missing RUNS_DIR'],
    [['runs'], 'missing --out'],
    [['a', 'b', '--out', 'x'], 'expected one RUNS_DIR'],
    [['runs', '--out', 'x', '--score', 'z'], '--score'],
    [['runs', '--out', 'x', '--reps', '12abc'], '--reps must be a non-negative integer'],
    [['runs', '--out', 'x', '--reps', '5'], '--reps'],
  ])('rejects %j with one message', (argv, text) => {
    const r = parseCliArgs(argv);
    expect(r.kind).toBe('error');
    if (r.kind === 'error') {
      expect(r.message).toContain(text);
      expect(r.message).not.toContain('\n');
    }
  });
  it('recognises --help', () => {
    expect(parseCliArgs(['-h']).kind).toBe('help');
  });
});
