import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from './backend';
import { TaskRouting } from './taskRouting';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('TaskRouting on the CPU (groupArray, slotOfRow)', () => {
  const d = 3;
  const batches: [string, number[]][] = [
    ['mixed, unequal groups', [2, 0, 1, 2, 2, 0, 3, 1, 2]],
    ['task-major, equal groups', [0, 0, 1, 1, 2, 2, 3, 3]],
  ];
  for (const [name, ids] of batches) {
    it(`${name}: groupArray equals group's values, and slotOfRow finds each row where ungroup takes it`, () => {
      const routing = new TaskRouting(ids, 4);
      const rows = Float32Array.from({ length: ids.length * d }, (_, i) => i + 0.5);
      const slots = routing.numTasks * routing.groupSize;
      const grouped = tf.tidy(() => routing.group(tf.tensor2d(rows, [ids.length, d])).dataSync().slice());
      expect(routing.groupArray(rows, d)).toEqual(grouped);
      const y = Float32Array.from({ length: slots * d }, (_, i) => 100 + i);
      const ungrouped = tf.tidy(() => routing.ungroup(tf.tensor3d(y, [routing.numTasks, routing.groupSize, d])).dataSync().slice());
      const slotOfRow = routing.slotOfRow();
      expect(slotOfRow.length).toBe(ids.length);
      for (let i = 0; i < ids.length; i++) {
        const s = slotOfRow[i] as number;
        expect(Math.floor(s / routing.groupSize)).toBe(ids[i]); // in its task's slot range
        expect(Array.from(ungrouped.subarray(i * d, i * d + d))).toEqual(Array.from(y.subarray(s * d, s * d + d)));
      }
    });
  }

  it('rejects rows of the wrong length', () => {
    expect(() => new TaskRouting([0, 1], 2).groupArray(new Float32Array(5), 3)).toThrow(/5 values, expected 2 rows × 3/);
  });
});
