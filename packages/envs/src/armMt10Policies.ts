/**
 * Scripted (hand-written, state-free) policies for the ten `arm-mt10` tasks, in the spirit of
 * Meta-World's `policies/`: each maps an observation to an action. The tests use them to show that
 * every task's success definition is attainable; they also make a handy sanity baseline.
 */

type Vec3 = readonly [number, number, number];

const OBJ1 = 4;
const OBJ2 = 11;
const GOAL = 36;

function v(obs: ArrayLike<number>, at: number): Vec3 {
  return [obs[at] ?? 0, obs[at + 1] ?? 0, obs[at + 2] ?? 0];
}

function dist2(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

function clip(x: number): number {
  return x < -1 ? -1 : x > 1 ? 1 : x;
}

/** Action moving the hand to `target` (at most 1 cm per axis per step) with gripper command `grip`. */
function moveTo(hand: Vec3, target: Vec3, grip: number): Float32Array {
  return Float32Array.of(clip((target[0] - hand[0]) * 100), clip((target[1] - hand[1]) * 100), clip((target[2] - hand[2]) * 100), grip);
}

/** Goes to `above` (x, y at height `z`) first when the hand is low and elsewhere. */
function approach(hand: Vec3, xy: readonly [number, number], z: number, grip: number, tolerance: number): Float32Array | null {
  if (Math.hypot(hand[0] - xy[0], hand[1] - xy[1]) <= tolerance) return null;
  if (hand[2] < z - 0.02) return moveTo(hand, [hand[0], hand[1], z], grip);
  return moveTo(hand, [xy[0], xy[1], z], grip);
}

/** Rotates `p` by the unit quaternion `[w, x, y, z]` stored at `obs[at]`. */
function rotate(obs: ArrayLike<number>, at: number, p: Vec3): Vec3 {
  const w = obs[at] ?? 1;
  const x = obs[at + 1] ?? 0;
  const y = obs[at + 2] ?? 0;
  const z = obs[at + 3] ?? 0;
  // v' = v + 2w (u × v) + 2 u × (u × v), u = (x, y, z)
  const cx = y * p[2] - z * p[1];
  const cy = z * p[0] - x * p[2];
  const cz = x * p[1] - y * p[0];
  return [
    p[0] + 2 * w * cx + 2 * (y * cz - z * cy),
    p[1] + 2 * w * cy + 2 * (z * cx - x * cz),
    p[2] + 2 * w * cz + 2 * (x * cy - y * cx),
  ];
}

const OPEN = -1;
const CLOSE = 1;

function reach(obs: ArrayLike<number>): Float32Array {
  return moveTo(v(obs, 0), v(obs, GOAL), OPEN);
}

function push(obs: ArrayLike<number>): Float32Array {
  const hand = v(obs, 0);
  const block = v(obs, OBJ1);
  const goal = v(obs, GOAL);
  let dx = goal[0] - block[0];
  let dy = goal[1] - block[1];
  const n = Math.hypot(dx, dy) || 1;
  dx /= n;
  dy /= n;
  const rx = hand[0] - block[0];
  const ry = hand[1] - block[1];
  const along = rx * dx + ry * dy;
  const lateral = rx * dy - ry * dx;
  if (hand[2] < 0.045 && along < -0.02 && along > -0.07 && Math.abs(lateral) < 0.012) {
    // Behind the block on the line to the goal: push through it, correcting sideways drift.
    return moveTo(hand, [block[0] + dx * 0.02 + dy * lateral * 0.5, block[1] + dy * 0.02 - dx * lateral * 0.5, 0.02], CLOSE);
  }
  const behind: [number, number] = [block[0] - dx * 0.055, block[1] - dy * 0.055];
  return approach(hand, behind, 0.1, CLOSE, 0.006) ?? moveTo(hand, [behind[0], behind[1], 0.02], CLOSE);
}

function pickPlace(obs: ArrayLike<number>): Float32Array {
  const hand = v(obs, 0);
  const opening = obs[3] ?? 1;
  const block = v(obs, OBJ1);
  const goal = v(obs, GOAL);
  const nearBlock = Math.hypot(hand[0] - block[0], hand[1] - block[1], hand[2] - block[2]) < 0.025;
  // Fingers stopped on the block: partly closed and no longer moving (obs[21] = previous opening).
  const holding = opening < 0.6 && opening > 0.3 && Math.abs(opening - (obs[21] ?? 0)) < 0.005;
  if (nearBlock && holding) {
    // Holding the block: carry it so that the block (not the hand) reaches the goal.
    if (block[2] < 0.04 && dist2(block, goal) > 0.02) return moveTo(hand, [hand[0], hand[1], 0.08], CLOSE);
    return moveTo(hand, [hand[0] + goal[0] - block[0], hand[1] + goal[1] - block[1], hand[2] + goal[2] - block[2]], CLOSE);
  }
  if (nearBlock && hand[2] > block[2] + 0.004 && opening > 0.9) return moveTo(hand, block, OPEN);
  if (nearBlock && !holding && opening >= 0.3) return moveTo(hand, block, CLOSE);
  if (nearBlock) return moveTo(hand, [block[0], block[1], block[2] + 0.03], OPEN);
  return approach(hand, [block[0], block[1]], 0.1, OPEN, 0.004) ?? moveTo(hand, [block[0], block[1], block[2]], OPEN);
}

function doorOpen(obs: ArrayLike<number>): Float32Array {
  const hand = v(obs, 0);
  const handle = v(obs, OBJ1);
  const qw = obs[OBJ1 + 3] ?? 1;
  const qz = obs[OBJ1 + 6] ?? 0;
  const theta = 2 * Math.atan2(qz, qw);
  // Hinge = handle − R(θ)·(0.18, −0.03); the hand pushes the handle from the robot's side.
  const hx = handle[0] - (0.18 * Math.cos(theta) + 0.03 * Math.sin(theta));
  const hy = handle[1] - (0.18 * Math.sin(theta) - 0.03 * Math.cos(theta));
  const at = (angle: number, offset: number): Vec3 => [
    hx + 0.18 * Math.cos(angle) - offset * Math.sin(angle),
    hy + 0.18 * Math.sin(angle) + offset * Math.cos(angle),
    0.1,
  ];
  if (Math.hypot(hand[0] - handle[0], hand[1] - handle[1]) < 0.06 && Math.abs(hand[2] - 0.1) < 0.01) return moveTo(hand, at(theta + 0.35, -0.065), CLOSE);
  return moveTo(hand, at(theta, -0.075), CLOSE);
}

function drawerOpen(obs: ArrayLike<number>): Float32Array {
  const hand = v(obs, 0);
  const bar = v(obs, OBJ1);
  const gapY = bar[1] + 0.024; // between the bar's back face (+0.008) and the drawer front (+0.04)
  if (Math.abs(hand[0] - bar[0]) < 0.01 && hand[2] < bar[2] + 0.012 && hand[1] > bar[1]) {
    return moveTo(hand, [bar[0], gapY - 0.02, bar[2]], CLOSE);
  }
  return approach(hand, [bar[0], gapY], 0.13, CLOSE, 0.003) ?? moveTo(hand, [bar[0], gapY, bar[2]], CLOSE);
}

function drawerClose(obs: ArrayLike<number>): Float32Array {
  const hand = v(obs, 0);
  const bar = v(obs, OBJ1);
  if (Math.abs(hand[0] - bar[0]) < 0.01 && hand[2] < bar[2] + 0.012 && hand[1] < bar[1]) {
    return moveTo(hand, [bar[0], bar[1] + 0.01, bar[2]], CLOSE);
  }
  return approach(hand, [bar[0], bar[1] - 0.03], 0.13, CLOSE, 0.003) ?? moveTo(hand, [bar[0], bar[1] - 0.03, bar[2]], CLOSE);
}

function buttonPress(obs: ArrayLike<number>): Float32Array {
  const hand = v(obs, 0);
  const top = v(obs, OBJ1);
  const goal = v(obs, GOAL);
  // The fingertips are 1 cm below the hand origin.
  return approach(hand, [top[0], top[1]], 0.16, CLOSE, 0.003) ?? moveTo(hand, [top[0], top[1], goal[2] + 0.008], CLOSE);
}

function pegInsert(obs: ArrayLike<number>): Float32Array {
  const hand = v(obs, 0);
  const opening = obs[3] ?? 1;
  const head = v(obs, OBJ1);
  const entrance = v(obs, OBJ2);
  const goal = v(obs, GOAL);
  const r = rotate(obs, OBJ1 + 3, [0, 0.095, 0]);
  const tail: Vec3 = [head[0] - r[0], head[1] - r[1], head[2] - r[2]];
  const nearTail = Math.hypot(hand[0] - tail[0], hand[1] - tail[1], hand[2] - tail[2]) < 0.025;
  const holding = opening < 0.45 && opening > 0.15 && Math.abs(opening - (obs[21] ?? 0)) < 0.005;
  if (nearTail && holding) {
    if (head[2] < 0.03 && head[1] < entrance[1]) return moveTo(hand, [hand[0], hand[1], 0.05], CLOSE);
    // Line the head up with the hole in front of the entrance, then slide it in.
    const aligned = Math.abs(head[0] - goal[0]) < 0.006 && Math.abs(head[2] - goal[2]) < 0.006;
    const headTarget: Vec3 = aligned || head[1] > entrance[1] ? goal : [goal[0], entrance[1] - 0.02, goal[2]];
    return moveTo(hand, [hand[0] + headTarget[0] - head[0], hand[1] + headTarget[1] - head[1], hand[2] + headTarget[2] - head[2]], CLOSE);
  }
  if (nearTail && hand[2] > Math.max(tail[2], 0.015) + 0.004 && opening > 0.9) return moveTo(hand, [tail[0], tail[1], Math.max(tail[2], 0.015)], OPEN);
  if (nearTail && !holding && opening >= 0.15) return moveTo(hand, tail, CLOSE);
  if (nearTail) return moveTo(hand, [tail[0], tail[1], tail[2] + 0.03], OPEN);
  return approach(hand, [tail[0], tail[1]], 0.08, OPEN, 0.004) ?? moveTo(hand, [tail[0], tail[1], Math.max(tail[2], 0.015)], OPEN);
}

function windowSlide(direction: 1 | -1): (obs: ArrayLike<number>) => Float32Array {
  return (obs) => {
    const hand = v(obs, 0);
    const handle = v(obs, OBJ1);
    const side = handle[0] - direction * 0.05;
    if (Math.abs(hand[1] - handle[1]) < 0.01 && Math.abs(hand[2] - 0.09) < 0.01 && (hand[0] - handle[0]) * direction < -0.01) {
      return moveTo(hand, [handle[0] - direction * 0.02, handle[1], 0.09], CLOSE);
    }
    return approach(hand, [side, handle[1]], 0.18, CLOSE, 0.004) ?? moveTo(hand, [side, handle[1], 0.09], CLOSE);
  };
}

const POLICIES: readonly ((obs: ArrayLike<number>) => Float32Array)[] = [
  reach,
  push,
  pickPlace,
  doorOpen,
  drawerOpen,
  drawerClose,
  buttonPress,
  pegInsert,
  windowSlide(1),
  windowSlide(-1),
];

/**
 * The scripted policy of one `arm-mt10` task: observation `[39]` → action `Float32Array [4]` in
 * [-1, 1] (a fresh array per call).
 * @throws RangeError for a task index outside [0, 10)
 */
export function armMt10ScriptedPolicy(taskIndex: number): (observation: ArrayLike<number>) => Float32Array {
  const policy = POLICIES[taskIndex];
  if (policy === undefined) throw new RangeError(`armMt10ScriptedPolicy: task index must be in [0, ${POLICIES.length}), got ${String(taskIndex)}`);
  return policy;
}
