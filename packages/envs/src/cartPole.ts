/**
 * `cartpole-mt`: Gymnasium CartPole-v1 physics (explicit Euler, Barto, Sutton & Anderson 1983
 * equations with the corrected pole inertia term) with per-task physical parameters.
 */
import type { JsonObject } from './env';
import { box, discrete } from './spaces';
import { TaskEnv } from './taskEnv';

/** Physical parameters of one CartPole task (SI units; angles in radians). */
export interface CartPoleTaskSpec {
  readonly name: string;
  readonly description: string;
  /** m/s². CartPole-v1: 9.8. */
  readonly gravity: number;
  /** kg. CartPole-v1: 1.0. */
  readonly massCart: number;
  /** kg. CartPole-v1: 0.1. */
  readonly massPole: number;
  /** Half the pole length, m. CartPole-v1: 0.5. */
  readonly halfPoleLength: number;
  /** Magnitude of the push, N. CartPole-v1: 10. */
  readonly forceMag: number;
  /** Episode terminates when |θ| > this, rad. CartPole-v1: 12° = 0.2094 rad. */
  readonly thetaThreshold: number;
  /** Episode terminates when |x| > this, m. CartPole-v1: 2.4. */
  readonly xThreshold: number;
}

const DEG = Math.PI / 180;
/** CartPole-v1 integration step, s. */
export const CARTPOLE_TAU = 0.02;
/** CartPole-v1 time limit. */
export const CARTPOLE_MAX_EPISODE_STEPS = 500;

const BASE: Omit<CartPoleTaskSpec, 'name' | 'description'> = {
  gravity: 9.8,
  massCart: 1.0,
  massPole: 0.1,
  halfPoleLength: 0.5,
  forceMag: 10.0,
  thetaThreshold: 12 * DEG,
  xThreshold: 2.4,
};

/**
 * The ten `cartpole-mt` tasks. The first five follow the ComplexCartPole task set (baseline, short
 * light pole, long heavy pole, low gravity, tight limits); the last five vary the remaining knobs.
 */
export const CARTPOLE_TASKS: readonly CartPoleTaskSpec[] = Object.freeze([
  { ...BASE, name: 'baseline', description: 'Gymnasium CartPole-v1 parameters' },
  { ...BASE, name: 'short-light-pole', description: 'half-length 0.25 m, pole 0.05 kg: faster, twitchier pole', halfPoleLength: 0.25, massPole: 0.05 },
  { ...BASE, name: 'long-heavy-pole', description: 'half-length 1.0 m, pole 0.5 kg: slow pole that drags the cart', halfPoleLength: 1.0, massPole: 0.5 },
  { ...BASE, name: 'low-gravity', description: 'g = 4.9 m/s² (half of Earth)', gravity: 4.9 },
  { ...BASE, name: 'tight-limits', description: '|x| ≤ 1.2 m, |θ| ≤ 6°', xThreshold: 1.2, thetaThreshold: 6 * DEG },
  { ...BASE, name: 'heavy-cart', description: 'cart 3.0 kg: the same push moves it a third as fast', massCart: 3.0 },
  { ...BASE, name: 'strong-force', description: 'push 20 N', forceMag: 20.0 },
  { ...BASE, name: 'weak-force', description: 'push 5 N', forceMag: 5.0 },
  { ...BASE, name: 'high-gravity', description: 'g = 15 m/s²', gravity: 15.0 },
  { ...BASE, name: 'wide-limits', description: '|x| ≤ 4.8 m, |θ| ≤ 24°', xThreshold: 4.8, thetaThreshold: 24 * DEG },
] satisfies CartPoleTaskSpec[]);

/** Options of {@link CartPoleEnv}. */
export interface CartPoleEnvOptions {
  /** Initial task. Defaults to 0. */
  readonly taskIndex?: number;
  /** Seed used until `reset({ seed })`. Defaults to 0. */
  readonly seed?: number;
  /** Time limit. Defaults to 500 (CartPole-v1). */
  readonly maxEpisodeSteps?: number;
  /** Task table. Defaults to {@link CARTPOLE_TASKS}. */
  readonly tasks?: readonly CartPoleTaskSpec[];
}

/**
 * One CartPole env able to run any task of its table.
 *
 * - Observation `[x, ẋ, θ, θ̇]` (float32); bounds ±2·max xThreshold and ±2·max θThreshold over the
 *   table (so one space serves every task, as Gymnasium's ±2× threshold box), velocities unbounded.
 * - Action `Discrete(2)`: 0 pushes left (−forceMag), 1 pushes right.
 * - Reward 1 on every step, including the terminating one.
 * - Terminated when |x| > xThreshold or |θ| > θThreshold; truncated at the time limit.
 * - `info.success` is true on the step where the episode reaches the time limit (the pole was
 *   balanced for the whole episode).
 */
export class CartPoleEnv extends TaskEnv {
  /** The task table this env draws its physics from. */
  readonly tasks: readonly CartPoleTaskSpec[];
  private x = 0;
  private xDot = 0;
  private theta = 0;
  private thetaDot = 0;

  constructor(options: CartPoleEnvOptions = {}) {
    const tasks = options.tasks ?? CARTPOLE_TASKS;
    if (tasks.length === 0) throw new RangeError('cartpole-mt: empty task table');
    let maxX = 0;
    let maxTheta = 0;
    for (const t of tasks) {
      for (const key of ['gravity', 'massCart', 'massPole', 'halfPoleLength', 'forceMag', 'thetaThreshold', 'xThreshold'] as const) {
        if (!(Number.isFinite(t[key]) && t[key] > 0)) throw new RangeError(`cartpole-mt: task ${t.name}: ${key} must be a positive number, got ${t[key]}`);
      }
      maxX = Math.max(maxX, t.xThreshold);
      maxTheta = Math.max(maxTheta, t.thetaThreshold);
    }
    super({
      id: 'cartpole-mt',
      taskNames: tasks.map((t) => t.name),
      taskIndex: options.taskIndex ?? 0,
      maxEpisodeSteps: options.maxEpisodeSteps ?? CARTPOLE_MAX_EPISODE_STEPS,
      observationSpace: box([-2 * maxX, -Infinity, -2 * maxTheta, -Infinity], [2 * maxX, Infinity, 2 * maxTheta, Infinity]),
      actionSpace: discrete(2),
      seed: options.seed ?? 0,
      successAtTimeLimit: true,
    });
    this.tasks = tasks;
  }

  /** Spec of the running task. */
  get task(): CartPoleTaskSpec {
    const t = this.tasks[this.taskIndex];
    if (t === undefined) throw new RangeError(`cartpole-mt: no task ${this.taskIndex}`);
    return t;
  }

  protected resetCore(): void {
    // CartPole-v1: each state variable uniform in [−0.05, 0.05), drawn in the order x, ẋ, θ, θ̇.
    this.x = this.rng.uniform(-0.05, 0.05);
    this.xDot = this.rng.uniform(-0.05, 0.05);
    this.theta = this.rng.uniform(-0.05, 0.05);
    this.thetaDot = this.rng.uniform(-0.05, 0.05);
  }

  protected stepCore(actions: ArrayLike<number>, offset: number): void {
    const t = this.task;
    const force = actions[offset] === 1 ? t.forceMag : -t.forceMag;
    const totalMass = t.massPole + t.massCart;
    const poleMassLength = t.massPole * t.halfPoleLength;
    const cosTheta = Math.cos(this.theta);
    const sinTheta = Math.sin(this.theta);
    const temp = (force + poleMassLength * this.thetaDot * this.thetaDot * sinTheta) / totalMass;
    const thetaAcc =
      (t.gravity * sinTheta - cosTheta * temp) / (t.halfPoleLength * (4.0 / 3.0 - (t.massPole * cosTheta * cosTheta) / totalMass));
    const xAcc = temp - (poleMassLength * thetaAcc * cosTheta) / totalMass;
    // Explicit Euler (CartPole-v1's default kinematics_integrator = "euler"): positions use the old velocities.
    this.x += CARTPOLE_TAU * this.xDot;
    this.xDot += CARTPOLE_TAU * xAcc;
    this.theta += CARTPOLE_TAU * this.thetaDot;
    this.thetaDot += CARTPOLE_TAU * thetaAcc;
    this.coreTerminated =
      this.x < -t.xThreshold || this.x > t.xThreshold || this.theta < -t.thetaThreshold || this.theta > t.thetaThreshold;
    this.coreReward = 1;
  }

  writeObservation(out: Float32Array, offset: number): void {
    out[offset] = this.x;
    out[offset + 1] = this.xDot;
    out[offset + 2] = this.theta;
    out[offset + 3] = this.thetaDot;
  }

  protected getCoreState(): JsonObject {
    return { x: this.x, xDot: this.xDot, theta: this.theta, thetaDot: this.thetaDot, terminated: this.coreTerminated };
  }

  protected setCoreState(core: JsonObject): void {
    const { x, xDot, theta, thetaDot, terminated } = core;
    if (typeof x !== 'number' || typeof xDot !== 'number' || typeof theta !== 'number' || typeof thetaDot !== 'number' || typeof terminated !== 'boolean') {
      throw new TypeError('cartpole-mt: setState: core must be { x, xDot, theta, thetaDot: number; terminated: boolean }');
    }
    this.x = x;
    this.xDot = xDot;
    this.theta = theta;
    this.thetaDot = thetaDot;
    this.coreTerminated = terminated;
    this.coreReward = 0;
  }
}
