/**
 * `arm-mt10`: ten manipulation tasks in the spirit of Meta-World MT10, simulated with MuJoCo
 * (`mujoco-js`, WASM) and written for this package.
 *
 * One MJCF model holds every object: a mocap-driven end effector with a two-finger gripper, a block,
 * a peg, and five fixtures (door on a hinge, drawer on a slide, spring-loaded button, sliding window,
 * box with a side hole). Fixtures hang from mocap bodies, so a reset can place them anywhere without
 * recompiling; each task places its own objects in reach and parks all others 2–5 m away on the
 * floor, where they cannot interact with the arm.
 *
 * Observation (39, Meta-World's layout): hand position (3), gripper opening in [0, 1] (1), object 1
 * position + quaternion (7), object 2 position + quaternion (7), the previous step's 18 values, goal (3).
 * Action (4) in [-1, 1]: end-effector displacement × 1 cm per step along x, y, z (clipped to the
 * workspace) and gripper (+1 closes, −1 opens). 5 physics steps of 2.5 ms per env step.
 */
import type { MjData, MjModel } from 'mujoco-js';
import type { RngState } from '@varshare/base';
import type { JsonObject } from './env';
import { requireMujoco, loadModelFromXml } from './mujoco';
import type { MujocoModule } from './mujoco';
import { box } from './spaces';
import { TaskEnv } from './taskEnv';

/** Task names of `arm-mt10`, in task-index order (Meta-World MT10's set). */
export const ARM_MT10_TASKS: readonly string[] = Object.freeze([
  'reach',
  'push',
  'pick-place',
  'door-open',
  'drawer-open',
  'drawer-close',
  'button-press-topdown',
  'peg-insert-side',
  'window-open',
  'window-close',
]);

/** Meta-World's episode length. */
export const ARM_MT10_MAX_EPISODE_STEPS = 500;

/** Success thresholds (m) on the distance that defines each task's success, by task index. */
export const ARM_MT10_SUCCESS_THRESHOLDS: readonly number[] = Object.freeze([0.05, 0.05, 0.07, 0.08, 0.03, 0.04, 0.01, 0.05, 0.05, 0.05]);

/** Physics steps per env step (Meta-World's frame skip). */
export const ARM_MT10_FRAME_SKIP = 5;
/** End-effector displacement per unit action per env step (m), as Meta-World's `action_scale`. */
export const ARM_MT10_ACTION_SCALE = 0.01;
/** Mocap workspace of the hand: `[xmin, ymin, zmin, xmax, ymax, zmax]` (m). */
export const ARM_MT10_WORKSPACE: readonly number[] = Object.freeze([-0.5, 0.35, 0.015, 0.5, 1.05, 0.4]);
/** Initial hand position (Meta-World's `hand_init_pos`). */
export const ARM_MT10_HAND_INIT: readonly number[] = Object.freeze([0, 0.6, 0.2]);

const OBS_SIZE = 39;
const FRAME_SIZE = 18;
/** How far outside the workspace the observed hand position may lie (m); see `readFrame`. */
const HAND_OBS_SLACK = 0.001;
/** Finger slide range: 0 open … FINGER_CLOSED closed (per finger). */
const FINGER_CLOSED = 0.035;

/**
 * The MJCF model. Coordinates: table top is the plane z = 0, the robot faces +y, objects lie at
 * y ≈ 0.5–1.0. Geometry constants used by the task code are repeated in comments next to it.
 */
export const ARM_MT10_MJCF = `<mujoco model="varshare-arm-mt10">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="0.0025" integrator="implicitfast" cone="elliptic" impratio="10"/>
  <default>
    <geom friction="1 0.005 0.0001" solref="0.01 1"/>
  </default>
  <worldbody>
    <geom name="table" type="plane" size="6 6 0.1" rgba="0.6 0.5 0.4 1"/>
    <!-- The hand is a dynamic body (3 slides) pulled onto the mocap target by a connect constraint,
         as Meta-World welds its arm to a mocap. A mocap body has no velocity in MuJoCo, so fingers
         hanging directly from it hold a grasped object in place by friction instead of lifting it. -->
    <body name="handTarget" mocap="true" pos="0 0.6 0.2"/>
    <body name="hand" pos="0 0.6 0.2" gravcomp="1">
      <joint name="handX" type="slide" axis="1 0 0" armature="0.01"/>
      <joint name="handY" type="slide" axis="0 1 0" armature="0.01"/>
      <joint name="handZ" type="slide" axis="0 0 1" armature="0.01"/>
      <inertial pos="0 0 0" mass="1" diaginertia="0.001 0.001 0.001"/>
      <geom name="palm" type="box" size="0.03 0.012 0.01" pos="0 0 0.035" rgba="0.2 0.2 0.2 1"/>
      <site name="tcp" pos="0 0 0" size="0.005"/>
      <body name="lfinger" pos="-0.045 0 0" gravcomp="1">
        <joint name="lfinger" type="slide" axis="1 0 0" range="0 ${FINGER_CLOSED}" damping="15" armature="0.3" solreflimit="0.005 1"/>
        <geom name="lfinger" type="box" size="0.006 0.012 0.017" pos="0 0 0.007" friction="2 0.005 0.0001" rgba="0.3 0.3 0.8 1"/>
      </body>
      <body name="rfinger" pos="0.045 0 0" gravcomp="1">
        <joint name="rfinger" type="slide" axis="-1 0 0" range="0 ${FINGER_CLOSED}" damping="15" armature="0.3" solreflimit="0.005 1"/>
        <geom name="rfinger" type="box" size="0.006 0.012 0.017" pos="0 0 0.007" friction="2 0.005 0.0001" rgba="0.3 0.3 0.8 1"/>
      </body>
    </body>
    <body name="block" pos="2 0 0.02">
      <freejoint name="block"/>
      <geom name="block" type="box" size="0.02 0.02 0.02" mass="0.06" rgba="0.8 0.2 0.2 1"/>
    </body>
    <body name="peg" pos="2.5 0 0.015">
      <freejoint name="peg"/>
      <geom name="peg" type="box" size="0.015 0.06 0.015" mass="0.08" rgba="0.2 0.7 0.2 1"/>
      <site name="pegHead" pos="0 0.06 0" size="0.005"/>
      <site name="pegTail" pos="0 -0.035 0" size="0.005"/>
    </body>
    <body name="doorBase" mocap="true" pos="3 0 0">
      <geom name="doorPost" type="box" size="0.01 0.01 0.12" pos="-0.012 0 0.12" contype="0" conaffinity="0"/>
      <body name="door" pos="0 0 0">
        <joint name="door" type="hinge" axis="0 0 1" range="0 1.5" damping="0.5" armature="0.01"/>
        <geom name="doorPanel" type="box" size="0.1 0.01 0.1" pos="0.1 0 0.12" mass="0.5" rgba="0.5 0.3 0.1 1"/>
        <geom name="doorHandle" type="box" size="0.01 0.02 0.03" pos="0.18 -0.03 0.12" mass="0.02"/>
        <site name="doorHandle" pos="0.18 -0.03 0.12" size="0.005"/>
      </body>
    </body>
    <body name="drawerBase" mocap="true" pos="3.5 0 0">
      <body name="drawer" pos="0 0 0.06">
        <joint name="drawer" type="slide" axis="0 1 0" range="-0.16 0" damping="3" armature="0.05"/>
        <geom name="drawerBox" type="box" size="0.1 0.1 0.04" mass="0.5" rgba="0.4 0.4 0.6 1"/>
        <geom name="drawerBar" type="box" size="0.05 0.008 0.008" pos="0 -0.14 0" mass="0.02"/>
        <geom name="drawerPostL" type="box" size="0.005 0.02 0.006" pos="-0.045 -0.12 0" mass="0.01"/>
        <geom name="drawerPostR" type="box" size="0.005 0.02 0.006" pos="0.045 -0.12 0" mass="0.01"/>
        <site name="drawerHandle" pos="0 -0.14 0" size="0.005"/>
      </body>
    </body>
    <body name="buttonBase" mocap="true" pos="4 0 0">
      <geom name="buttonHousing" type="box" size="0.045 0.045 0.04" pos="0 0 0.04" contype="0" conaffinity="0" rgba="0.3 0.3 0.3 1"/>
      <body name="button" pos="0 0 0.08">
        <joint name="button" type="slide" axis="0 0 1" range="-0.04 0" stiffness="50" damping="2" armature="0.01"/>
        <geom name="buttonCap" type="cylinder" size="0.03 0.02" pos="0 0 0.02" mass="0.02" rgba="0.9 0.1 0.1 1"/>
        <site name="buttonTop" pos="0 0 0.04" size="0.005"/>
      </body>
    </body>
    <body name="windowBase" mocap="true" pos="4.5 0 0">
      <body name="sash" pos="0 0 0.12">
        <joint name="window" type="slide" axis="1 0 0" range="0 0.22" damping="3" armature="0.05"/>
        <geom name="sashPanel" type="box" size="0.1 0.01 0.1" mass="0.3" rgba="0.6 0.8 0.9 1"/>
        <geom name="windowHandle" type="box" size="0.01 0.03 0.03" pos="0 -0.04 0" mass="0.02"/>
        <site name="windowHandle" pos="0 -0.04 0" size="0.005"/>
      </body>
    </body>
    <body name="pegBase" mocap="true" pos="5 0 0">
      <geom name="holeLeft" type="box" size="0.01 0.06 0.05" pos="-0.05 0 0.05"/>
      <geom name="holeRight" type="box" size="0.01 0.06 0.05" pos="0.05 0 0.05"/>
      <geom name="holeTop" type="box" size="0.06 0.06 0.01" pos="0 0 0.11"/>
      <geom name="holeBack" type="box" size="0.06 0.01 0.06" pos="0 0.07 0.06"/>
    </body>
  </worldbody>
  <equality>
    <connect name="handTarget" body1="hand" body2="handTarget" anchor="0 0 0" solref="0.005 1"/>
  </equality>
  <actuator>
    <position name="lfinger" joint="lfinger" kp="300" ctrlrange="0 ${FINGER_CLOSED}" forcerange="-20 20"/>
    <position name="rfinger" joint="rfinger" kp="300" ctrlrange="0 ${FINGER_CLOSED}" forcerange="-20 20"/>
  </actuator>
</mujoco>`;

/** Where the parked (inactive) objects rest, far outside the hand's workspace. */
const PARK = {
  block: [2, 0, 0.02],
  peg: [2.5, 0, 0.015],
  doorBase: [3, 0, 0],
  drawerBase: [3.5, 0, 0],
  buttonBase: [4, 0, 0],
  windowBase: [4.5, 0, 0],
  pegBase: [5, 0, 0],
} as const;

type FixtureName = 'doorBase' | 'drawerBase' | 'buttonBase' | 'windowBase' | 'pegBase';
const FIXTURES: readonly FixtureName[] = ['doorBase', 'drawerBase', 'buttonBase', 'windowBase', 'pegBase'];

/** Options of {@link ArmMt10Env}. */
export interface ArmMt10EnvOptions {
  /** Initial task. Defaults to 0 (`reach`). */
  readonly taskIndex?: number;
  /** Seed used until `reset({ seed })` provides one. Defaults to 0. */
  readonly seed?: number;
  /** Time limit. Defaults to 500. */
  readonly maxEpisodeSteps?: number;
}

/** Indices into the model, resolved once per model. */
interface ModelIndex {
  readonly hand: number; // body ids
  readonly block: number;
  readonly peg: number;
  readonly door: number;
  readonly drawer: number;
  readonly button: number;
  readonly sash: number;
  readonly mocap: Readonly<Record<'hand' | FixtureName, number>>; // mocap ids
  readonly qadr: Readonly<Record<'block' | 'peg' | 'door' | 'drawer' | 'button' | 'window' | 'lfinger' | 'rfinger', number>>;
  readonly site: Readonly<Record<'doorHandle' | 'drawerHandle' | 'buttonTop' | 'windowHandle' | 'pegHead' | 'pegTail', number>>;
}

function near(distance: number, margin: number): number {
  const r = distance / margin;
  return 1 / (1 + r * r);
}

function toBase64(a: Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function fromBase64(s: unknown, length: number, what: string): Float64Array {
  if (typeof s !== 'string') throw new TypeError(`arm-mt10: setState: ${what} must be a base64 string`);
  const bytes = Buffer.from(s, 'base64');
  if (bytes.byteLength !== length * 8) throw new TypeError(`arm-mt10: setState: ${what} has ${bytes.byteLength / 8} values, expected ${length}`);
  const out = new Float64Array(length);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/**
 * One MuJoCo arm env able to run any of the ten tasks (`setTask` selects the task of the next reset).
 * Needs `await loadMujoco()` first. Owns one `MjModel` and one `MjData`, freed by `close()`.
 */
export class ArmMt10Env extends TaskEnv {
  private readonly mj: MujocoModule;
  private model: MjModel | null;
  private data: MjData | null;
  private readonly idx: ModelIndex;
  /** Hand (3), gripper (1), object 1 (7), object 2 (7) of the current step. */
  private readonly frame = new Float64Array(FRAME_SIZE + 4);
  /** The 18 object/hand values of the previous step. */
  private readonly prevFrame = new Float64Array(FRAME_SIZE);
  private readonly goal = new Float64Array(3);
  /** Mocap target of the hand (the commanded position). */
  private readonly handTarget = new Float64Array(3);
  /** Hand distance to its contact point and object distance to the goal at the last step. */
  private lastHandDistance = 0;
  private lastGoalDistance = 0;

  constructor(options: ArmMt10EnvOptions = {}) {
    super({
      id: 'arm-mt10',
      taskNames: ARM_MT10_TASKS,
      taskIndex: options.taskIndex ?? 0,
      maxEpisodeSteps: options.maxEpisodeSteps ?? ARM_MT10_MAX_EPISODE_STEPS,
      observationSpace: armMt10ObservationSpace(),
      actionSpace: box(new Float32Array([-1, -1, -1, -1]), new Float32Array([1, 1, 1, 1])),
      seed: options.seed ?? 0,
      successAtTimeLimit: false,
    });
    this.mj = requireMujoco('suite "arm-mt10"');
    const model = loadModelFromXml(this.mj, ARM_MT10_MJCF, 'arm-mt10');
    this.model = model;
    this.data = new this.mj.MjData(model);
    this.idx = this.indexModel(model);
  }

  /** Distance of the hand to the point it should act on (the goal for `reach`). */
  get handDistance(): number {
    return this.lastHandDistance;
  }

  /** Distance that defines success (object to goal; hand to goal for `reach`). */
  get goalDistance(): number {
    return this.lastGoalDistance;
  }

  private indexModel(model: MjModel): ModelIndex {
    const mj = this.mj;
    const id = (type: number, name: string): number => {
      const i = mj.mj_name2id(model, type, name);
      if (i < 0) throw new Error(`arm-mt10: model has no ${name}`);
      return i;
    };
    const BODY = mj.mjtObj.mjOBJ_BODY.value;
    const JOINT = mj.mjtObj.mjOBJ_JOINT.value;
    const SITE = mj.mjtObj.mjOBJ_SITE.value;
    const mocapId = (name: string): number => (model.body_mocapid as Int32Array)[id(BODY, name)] ?? -1;
    const qadr = (name: string): number => (model.jnt_qposadr as Int32Array)[id(JOINT, name)] ?? -1;
    return {
      hand: id(BODY, 'hand'),
      block: id(BODY, 'block'),
      peg: id(BODY, 'peg'),
      door: id(BODY, 'door'),
      drawer: id(BODY, 'drawer'),
      button: id(BODY, 'button'),
      sash: id(BODY, 'sash'),
      mocap: {
        hand: mocapId('handTarget'),
        doorBase: mocapId('doorBase'),
        drawerBase: mocapId('drawerBase'),
        buttonBase: mocapId('buttonBase'),
        windowBase: mocapId('windowBase'),
        pegBase: mocapId('pegBase'),
      },
      qadr: {
        block: qadr('block'),
        peg: qadr('peg'),
        door: qadr('door'),
        drawer: qadr('drawer'),
        button: qadr('button'),
        window: qadr('window'),
        lfinger: qadr('lfinger'),
        rfinger: qadr('rfinger'),
      },
      site: {
        doorHandle: id(SITE, 'doorHandle'),
        drawerHandle: id(SITE, 'drawerHandle'),
        buttonTop: id(SITE, 'buttonTop'),
        windowHandle: id(SITE, 'windowHandle'),
        pegHead: id(SITE, 'pegHead'),
        pegTail: id(SITE, 'pegTail'),
      },
    };
  }

  private live(): { model: MjModel; data: MjData } {
    if (this.model === null || this.data === null) throw new Error('arm-mt10: env used after close()');
    return { model: this.model, data: this.data };
  }

  // ---- reset ----------------------------------------------------------------------------------

  protected resetCore(): void {
    const { model, data } = this.live();
    const mj = this.mj;
    mj.mj_resetData(model, data);
    const qpos = data.qpos as Float64Array;
    const mocapPos = data.mocap_pos as Float64Array;
    const q = this.idx.qadr;
    const setFree = (adr: number, p: readonly number[]): void => {
      qpos[adr] = p[0] ?? 0;
      qpos[adr + 1] = p[1] ?? 0;
      qpos[adr + 2] = p[2] ?? 0;
      qpos[adr + 3] = 1;
      qpos[adr + 4] = 0;
      qpos[adr + 5] = 0;
      qpos[adr + 6] = 0;
    };
    const setMocap = (name: 'hand' | FixtureName, p: readonly number[]): void => {
      const m = this.idx.mocap[name] * 3;
      mocapPos[m] = p[0] ?? 0;
      mocapPos[m + 1] = p[1] ?? 0;
      mocapPos[m + 2] = p[2] ?? 0;
    };
    setFree(q.block, PARK.block);
    setFree(q.peg, PARK.peg);
    for (const f of FIXTURES) setMocap(f, PARK[f]);
    setMocap('hand', ARM_MT10_HAND_INIT);
    this.handTarget.set(ARM_MT10_HAND_INIT);

    const rng = this.rng;
    const u = (a: number, b: number): number => rng.uniform(a, b);
    const g = this.goal;
    switch (this.taskIndex) {
      case 0: {
        // reach: a block sits on the table as in Meta-World's reach; the goal floats in the air.
        setFree(q.block, [u(-0.1, 0.1), u(0.6, 0.7), 0.02]);
        g.set([u(-0.1, 0.1), u(0.8, 0.9), u(0.05, 0.3)]);
        break;
      }
      case 1: {
        setFree(q.block, [u(-0.1, 0.1), u(0.6, 0.7), 0.02]);
        g.set([u(-0.1, 0.1), u(0.8, 0.9), 0.02]);
        break;
      }
      case 2: {
        setFree(q.block, [u(-0.1, 0.1), u(0.6, 0.7), 0.02]);
        g.set([u(-0.1, 0.1), u(0.8, 0.9), u(0.05, 0.3)]);
        break;
      }
      case 3: {
        // Hinge at the base; the handle sits at (0.18, −0.03, 0.12) in the door frame; goal = the
        // handle's position with the door opened by 1 rad (away from the robot).
        const hx = u(-0.2, -0.1);
        const hy = u(0.8, 0.9);
        setMocap('doorBase', [hx, hy, 0]);
        const c = Math.cos(1);
        const s = Math.sin(1);
        g.set([hx + 0.18 * c + 0.03 * s, hy + 0.18 * s - 0.03 * c, 0.12]);
        break;
      }
      case 4:
      case 5: {
        // Handle bar at y = base − 0.14, z = 0.06; the drawer slides along y in [−0.16, 0].
        const bx = u(-0.1, 0.1);
        const by = u(0.85, 0.95);
        setMocap('drawerBase', [bx, by, 0]);
        if (this.taskIndex === 4) {
          g.set([bx, by - 0.14 - 0.15, 0.06]);
        } else {
          qpos[q.drawer] = -0.15;
          g.set([bx, by - 0.14, 0.06]);
        }
        break;
      }
      case 6: {
        // Cap top at z = 0.12 when up; goal = 3 cm pressed.
        const bx = u(-0.1, 0.1);
        const by = u(0.8, 0.9);
        setMocap('buttonBase', [bx, by, 0]);
        g.set([bx, by, 0.09]);
        break;
      }
      case 7: {
        // Peg (head towards +y) on the table; hole of the box open towards the robot (−y); goal
        // = the hole's centre, 6 cm deep.
        setFree(q.peg, [u(-0.1, 0.1), u(0.5, 0.6), 0.015]);
        const bx = u(-0.1, 0.1);
        const by = u(0.85, 0.95);
        setMocap('pegBase', [bx, by, 0]);
        g.set([bx, by, 0.04]);
        break;
      }
      case 8:
      case 9: {
        // Handle at (0, −0.04) from the sash centre, z = 0.12; the sash slides along x in [0, 0.22].
        const wx = u(-0.2, -0.05);
        const wy = u(0.8, 0.9);
        setMocap('windowBase', [wx, wy, 0]);
        if (this.taskIndex === 8) {
          g.set([wx + 0.2, wy - 0.04, 0.12]);
        } else {
          qpos[q.window] = 0.2;
          g.set([wx, wy - 0.04, 0.12]);
        }
        break;
      }
      default:
        throw new RangeError(`arm-mt10: no task ${this.taskIndex}`);
    }
    mj.mj_kinematics(model, data);
    this.readFrame();
    this.prevFrame.set(this.frame.subarray(0, FRAME_SIZE));
    this.updateDistances();
  }

  // ---- step -----------------------------------------------------------------------------------

  protected stepCore(actions: ArrayLike<number>, offset: number): void {
    const { model, data } = this.live();
    const mj = this.mj;
    const ws = ARM_MT10_WORKSPACE;
    const clip = (x: number): number => (x < -1 ? -1 : x > 1 ? 1 : x);
    const start0 = this.handTarget[0] ?? 0;
    const start1 = this.handTarget[1] ?? 0;
    const start2 = this.handTarget[2] ?? 0;
    const t0 = Math.min(Math.max(start0 + clip(actions[offset] ?? 0) * ARM_MT10_ACTION_SCALE, ws[0] ?? 0), ws[3] ?? 0);
    const t1 = Math.min(Math.max(start1 + clip(actions[offset + 1] ?? 0) * ARM_MT10_ACTION_SCALE, ws[1] ?? 0), ws[4] ?? 0);
    const t2 = Math.min(Math.max(start2 + clip(actions[offset + 2] ?? 0) * ARM_MT10_ACTION_SCALE, ws[2] ?? 0), ws[5] ?? 0);
    const grip = ((clip(actions[offset + 3] ?? 0) + 1) / 2) * FINGER_CLOSED;
    const ctrl = data.ctrl as Float64Array;
    ctrl[0] = grip;
    ctrl[1] = grip;
    const m = this.idx.mocap.hand * 3;
    // The mocap target moves in equal increments over the substeps, so contacts see a smooth motion.
    for (let k = 1; k <= ARM_MT10_FRAME_SKIP; k++) {
      const f = k / ARM_MT10_FRAME_SKIP;
      const mocapPos = data.mocap_pos as Float64Array;
      mocapPos[m] = start0 + (t0 - start0) * f;
      mocapPos[m + 1] = start1 + (t1 - start1) * f;
      mocapPos[m + 2] = start2 + (t2 - start2) * f;
      mj.mj_step(model, data);
    }
    this.handTarget[0] = t0;
    this.handTarget[1] = t1;
    this.handTarget[2] = t2;
    mj.mj_kinematics(model, data);
    this.prevFrame.set(this.frame.subarray(0, FRAME_SIZE));
    this.readFrame();
    this.updateDistances();
    const success = this.lastGoalDistance < (ARM_MT10_SUCCESS_THRESHOLDS[this.taskIndex] ?? 0);
    this.coreSuccess = success;
    // Meta-World never terminates an episode: only the time limit ends it.
    this.coreTerminated = false;
    this.coreReward = this.shapedReward(success);
  }

  /**
   * Dense reward in [0, 10]: 10 on success; otherwise for `reach` 10·near(‖hand − goal‖, 0.1),
   * for the others 10·(0.3·near(‖hand − contact‖, 0.05) + 0.7·near(‖object − goal‖, 0.1)) with
   * near(d, m) = 1 / (1 + (d/m)²).
   */
  private shapedReward(success: boolean): number {
    if (success) return 10;
    if (this.taskIndex === 0) return 10 * near(this.lastGoalDistance, 0.1);
    return 10 * (0.3 * near(this.lastHandDistance, 0.05) + 0.7 * near(this.lastGoalDistance, 0.1));
  }

  private readFrame(): void {
    const { data } = this.live();
    const xpos = data.xpos as Float64Array;
    const xquat = data.xquat as Float64Array;
    const siteXpos = data.site_xpos as Float64Array;
    const qpos = data.qpos as Float64Array;
    const fr = this.frame;
    const idx = this.idx;
    // The hand lags its (workspace-clipped) target by a few mm and a fixture can push it a little
    // further; the observation keeps it inside the declared box (workspace ± 1 mm).
    const ws = ARM_MT10_WORKSPACE;
    for (let i = 0; i < 3; i++) {
      const x = xpos[idx.hand * 3 + i] ?? 0;
      fr[i] = Math.min(Math.max(x, (ws[i] ?? 0) - HAND_OBS_SLACK), (ws[i + 3] ?? 0) + HAND_OBS_SLACK);
    }
    const closed = ((qpos[idx.qadr.lfinger] ?? 0) + (qpos[idx.qadr.rfinger] ?? 0)) / (2 * FINGER_CLOSED);
    fr[3] = Math.min(Math.max(1 - closed, 0), 1);
    const put = (at: number, pos: Float64Array, p: number, quat: Float64Array | null, b: number): void => {
      fr[at] = pos[p * 3] ?? 0;
      fr[at + 1] = pos[p * 3 + 1] ?? 0;
      fr[at + 2] = pos[p * 3 + 2] ?? 0;
      fr[at + 3] = quat === null ? 1 : (quat[b * 4] ?? 0);
      fr[at + 4] = quat === null ? 0 : (quat[b * 4 + 1] ?? 0);
      fr[at + 5] = quat === null ? 0 : (quat[b * 4 + 2] ?? 0);
      fr[at + 6] = quat === null ? 0 : (quat[b * 4 + 3] ?? 0);
    };
    fr.fill(0, 11, 18);
    switch (this.taskIndex) {
      case 0:
      case 1:
      case 2:
        put(4, xpos, idx.block, xquat, idx.block);
        break;
      case 3:
        put(4, siteXpos, idx.site.doorHandle, xquat, idx.door);
        break;
      case 4:
      case 5:
        put(4, siteXpos, idx.site.drawerHandle, xquat, idx.drawer);
        break;
      case 6:
        put(4, siteXpos, idx.site.buttonTop, xquat, idx.button);
        break;
      case 7: {
        put(4, siteXpos, idx.site.pegHead, xquat, idx.peg);
        // Object 2: the hole's entrance (box front face centre), identity orientation.
        const mocapPos = data.mocap_pos as Float64Array;
        const b = idx.mocap.pegBase * 3;
        fr[11] = mocapPos[b] ?? 0;
        fr[12] = (mocapPos[b + 1] ?? 0) - 0.06;
        fr[13] = 0.04;
        fr[14] = 1;
        break;
      }
      default:
        put(4, siteXpos, idx.site.windowHandle, xquat, idx.sash);
    }
  }

  private updateDistances(): void {
    const fr = this.frame;
    const g = this.goal;
    const dist = (ax: number, ay: number, az: number, bx: number, by: number, bz: number): number => Math.hypot(ax - bx, ay - by, az - bz);
    const hx = fr[0] ?? 0;
    const hy = fr[1] ?? 0;
    const hz = fr[2] ?? 0;
    const gx = g[0] ?? 0;
    const gy = g[1] ?? 0;
    const gz = g[2] ?? 0;
    if (this.taskIndex === 0) {
      this.lastGoalDistance = dist(hx, hy, hz, gx, gy, gz);
      this.lastHandDistance = this.lastGoalDistance;
      return;
    }
    this.lastGoalDistance = dist(fr[4] ?? 0, fr[5] ?? 0, fr[6] ?? 0, gx, gy, gz);
    if (this.taskIndex === 7) {
      const siteXpos = this.live().data.site_xpos as Float64Array;
      const t = this.idx.site.pegTail * 3;
      this.lastHandDistance = dist(hx, hy, hz, siteXpos[t] ?? 0, siteXpos[t + 1] ?? 0, siteXpos[t + 2] ?? 0);
    } else {
      this.lastHandDistance = dist(hx, hy, hz, fr[4] ?? 0, fr[5] ?? 0, fr[6] ?? 0);
    }
  }

  // ---- observation and state ------------------------------------------------------------------

  writeObservation(out: Float32Array, offset: number): void {
    const fr = this.frame;
    for (let i = 0; i < FRAME_SIZE; i++) out[offset + i] = fr[i] ?? 0;
    for (let i = 0; i < FRAME_SIZE; i++) out[offset + FRAME_SIZE + i] = this.prevFrame[i] ?? 0;
    out[offset + 36] = this.goal[0] ?? 0;
    out[offset + 37] = this.goal[1] ?? 0;
    out[offset + 38] = this.goal[2] ?? 0;
  }

  /**
   * MuJoCo's integration state (time, qpos, qvel, act, qacc_warmstart, ctrl, mocap pose) as
   * base64 float64 (exact, including −0), plus the hand target, both observation frames, the goal
   * and the last distances.
   */
  protected getCoreState(): JsonObject {
    const { data } = this.live();
    return {
      time: toBase64(Float64Array.of(data.time)),
      qpos: toBase64(Float64Array.from(data.qpos as Float64Array)),
      qvel: toBase64(Float64Array.from(data.qvel as Float64Array)),
      act: toBase64(Float64Array.from(data.act as Float64Array)),
      qaccWarmstart: toBase64(Float64Array.from(data.qacc_warmstart as Float64Array)),
      ctrl: toBase64(Float64Array.from(data.ctrl as Float64Array)),
      mocapPos: toBase64(Float64Array.from(data.mocap_pos as Float64Array)),
      mocapQuat: toBase64(Float64Array.from(data.mocap_quat as Float64Array)),
      handTarget: toBase64(this.handTarget),
      frame: toBase64(this.frame),
      prevFrame: toBase64(this.prevFrame),
      goal: toBase64(this.goal),
      distances: toBase64(Float64Array.of(this.lastHandDistance, this.lastGoalDistance)),
      reward: this.coreReward,
      success: this.coreSuccess,
    };
  }

  protected setCoreState(core: JsonObject, _savedRng: RngState): void {
    const { model, data } = this.live();
    const mj = this.mj;
    const time = fromBase64(core.time, 1, 'time');
    const qpos = fromBase64(core.qpos, model.nq, 'qpos');
    const qvel = fromBase64(core.qvel, model.nv, 'qvel');
    const act = fromBase64(core.act, model.na, 'act');
    const warm = fromBase64(core.qaccWarmstart, model.nv, 'qaccWarmstart');
    const ctrl = fromBase64(core.ctrl, model.nu, 'ctrl');
    const mocapPos = fromBase64(core.mocapPos, model.nmocap * 3, 'mocapPos');
    const mocapQuat = fromBase64(core.mocapQuat, model.nmocap * 4, 'mocapQuat');
    const handTarget = fromBase64(core.handTarget, 3, 'handTarget');
    const frame = fromBase64(core.frame, FRAME_SIZE + 4, 'frame');
    const prevFrame = fromBase64(core.prevFrame, FRAME_SIZE, 'prevFrame');
    const goal = fromBase64(core.goal, 3, 'goal');
    const distances = fromBase64(core.distances, 2, 'distances');
    if (typeof core.reward !== 'number' || typeof core.success !== 'boolean') throw new TypeError('arm-mt10: setState: bad reward/success');
    mj.mj_resetData(model, data);
    data.time = time[0] ?? 0;
    (data.qpos as Float64Array).set(qpos);
    (data.qvel as Float64Array).set(qvel);
    (data.act as Float64Array).set(act);
    (data.qacc_warmstart as Float64Array).set(warm);
    (data.ctrl as Float64Array).set(ctrl);
    (data.mocap_pos as Float64Array).set(mocapPos);
    (data.mocap_quat as Float64Array).set(mocapQuat);
    mj.mj_kinematics(model, data);
    this.handTarget.set(handTarget);
    this.frame.set(frame);
    this.prevFrame.set(prevFrame);
    this.goal.set(goal);
    this.lastHandDistance = distances[0] ?? 0;
    this.lastGoalDistance = distances[1] ?? 0;
    this.coreReward = core.reward;
    this.coreSuccess = core.success;
    this.coreTerminated = false;
  }

  /** Frees the MuJoCo model and data (idempotent). */
  override close(): void {
    super.close();
    this.data?.delete();
    this.model?.delete();
    this.data = null;
    this.model = null;
  }
}

/**
 * Observation space: hand within the workspace, gripper in [0, 1], objects unbounded (parked objects
 * lie far outside the workspace), quaternion components in [−1, 1], goal within the workspace.
 */
export function armMt10ObservationSpace(): ReturnType<typeof box> {
  const low = new Float32Array(OBS_SIZE).fill(-Infinity);
  const high = new Float32Array(OBS_SIZE).fill(Infinity);
  const ws = ARM_MT10_WORKSPACE;
  for (const base of [0, FRAME_SIZE]) {
    for (let i = 0; i < 3; i++) {
      low[base + i] = (ws[i] ?? 0) - HAND_OBS_SLACK;
      high[base + i] = (ws[i + 3] ?? 0) + HAND_OBS_SLACK;
    }
    low[base + 3] = 0;
    high[base + 3] = 1;
    for (const q of [base + 7, base + 14]) {
      for (let i = 0; i < 4; i++) {
        low[q + i] = -1.0001;
        high[q + i] = 1.0001;
      }
    }
  }
  low[36] = -0.5;
  low[37] = 0.35;
  low[38] = 0;
  high[36] = 0.5;
  high[37] = 1.1;
  high[38] = 0.4;
  return box(low, high, [OBS_SIZE]);
}
