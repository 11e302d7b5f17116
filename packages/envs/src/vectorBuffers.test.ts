import { describe, expect, it } from 'vitest';
import { box, discrete } from './spaces';
import { VectorBuffers, checkVectorActions, vectorEnvShape } from './vectorBuffers';

describe('VectorBuffers', () => {
  it('accumulates return/length/success per row and closes episodes into records', () => {
    const b = new VectorBuffers(2, 3);
    b.startEpisode(0);
    b.startEpisode(1);
    b.recordStep(0, 0.5, false, false, false);
    b.recordStep(1, 2, false, false, true);
    b.recordStep(0, 0.25, false, true, false);
    // row 0: return 0.5 + 0.25 = 0.75 over 2 steps, never successful; last step truncated
    expect(Array.from(b.rewards)).toEqual([0.25, 2]);
    expect(Array.from(b.truncated)).toEqual([1, 0]);
    expect(Array.from(b.success)).toEqual([0, 1]);
    b.observations.set([1, 2, 3, 4, 5, 6]);
    b.copyFinalFromCurrent(0);
    const rec = b.endEpisode(0, 7, 'seven', false);
    expect(rec).toEqual({ row: 0, taskId: 7, taskName: 'seven', return: 0.75, length: 2, success: false, terminated: false });
    expect(Array.from(b.finalObservations)).toEqual([1, 2, 3, 0, 0, 0]);
    expect(Array.from(b.hasFinalObservation)).toEqual([1, 0]);
    // statistics restart after the record; row 1 keeps its success from an earlier step
    expect(b.episodeState(0)).toEqual({ episodeReturn: 0, episodeLength: 0, episodeSuccess: false });
    b.recordStep(1, 1, true, false, false);
    expect(b.endEpisode(1, 0, 'zero', true)).toEqual({ row: 1, taskId: 0, taskName: 'zero', return: 3, length: 2, success: true, terminated: true });
    b.clearFinal(0);
    expect(Array.from(b.finalObservations)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(b.hasFinalObservation)).toEqual([0, 1]);
    expect(b.stepResult(null).episodes).toEqual([]);
    expect(b.stepResult(null).observations).toBe(b.observations);
    b.clearStepOutputs();
    expect(Array.from(b.hasFinalObservation)).toEqual([0, 0]);
    expect(Array.from(b.rewards)).toEqual([0, 0]);
  });

  it('restores episode state only from well-typed fields', () => {
    const b = new VectorBuffers(1, 1);
    expect(b.setEpisodeState(0, { episodeReturn: 1.5, episodeLength: 3, episodeSuccess: true })).toBe(true);
    expect(b.episodeState(0)).toEqual({ episodeReturn: 1.5, episodeLength: 3, episodeSuccess: true });
    expect(b.setEpisodeState(0, { episodeReturn: 'x', episodeLength: 3, episodeSuccess: true })).toBe(false);
    expect(b.setEpisodeState(0, { episodeReturn: Number.NaN, episodeLength: 1 })).toBe(false);
    expect(b.episodeState(0)).toEqual({ episodeReturn: 1.5, episodeLength: 3, episodeSuccess: true });
  });

  it('shape and action checks', () => {
    const shape = vectorEnvShape('T', ['a', 'b'], 3, 'round-robin', box(new Float32Array(4).fill(-1), new Float32Array(4).fill(1)), discrete(2));
    expect(shape.numRows).toBe(6);
    expect(shape.observationSize).toBe(4);
    expect(shape.actionSize).toBe(1);
    expect(shape.actionKind).toBe('discrete');
    expect(() => vectorEnvShape('T', ['a'], 0, 'round-robin', shape.singleObservationSpace, shape.singleActionSpace)).toThrow(/T: rowsPerTask must be a positive integer/);
    expect(() => checkVectorActions('T', shape, new Int32Array(6))).not.toThrow();
    expect(() => checkVectorActions('T', shape, new Float32Array(6))).toThrow(TypeError);
    expect(() => checkVectorActions('T', shape, new Int32Array(5))).toThrow(/expected 6 actions, got 5/);
  });
});
