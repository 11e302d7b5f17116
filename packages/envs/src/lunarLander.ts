/**
 * `lunarlander-mt`: a Box2D (planck) lunar lander shaped like Gymnasium's LunarLander — same units,
 * observation layout, engine model and reward shaping — written for this package, with per-task
 * gravity, wind/turbulence, engine power and landing-pad position.
 *
 * Geometry is defined in "pixels" of a 600×400 viewport and divided by SCALE = 30 px/m, so the world
 * is 20 m wide and 13.3 m tall; the physics runs at 50 steps per second.
 */
import { Body, Box, Edge, Polygon, RevoluteJoint, World } from 'planck';
import type { Contact } from 'planck';
import { installFastRevoluteJointSolver } from './planckRevoluteJoint';
import type { RngState } from '@varshare/base';
import type { JsonObject, JsonValue } from './env';
import { box, discrete } from './spaces';
import { TaskEnv } from './taskEnv';

/** Parameters of one LunarLander task. */
export interface LunarLanderTaskSpec {
  readonly name: string;
  readonly description: string;
  /** Vertical gravity, m/s² (negative is down). Gymnasium default −10. */
  readonly gravity: number;
  /** Peak horizontal wind force, N (0 disables wind). */
  readonly windPower: number;
  /** Peak turbulence torque, N·m (0 disables turbulence). */
  readonly turbulencePower: number;
  /** Main-engine impulse scale. Gymnasium: 13. */
  readonly mainEnginePower: number;
  /** Side-engine impulse scale. Gymnasium: 0.6. */
  readonly sideEnginePower: number;
  /**
   * Terrain chunk at the pad centre, an integer in [2, 8]; the pad spans chunks padChunk ± 1, i.e.
   * x ∈ [2·padChunk − 2, 2·padChunk + 2] m. 5 is Gymnasium's centred pad (x ∈ [8, 12] m).
   */
  readonly padChunk: number;
}

// ---- geometry and constants (Gymnasium LunarLander's values) ------------------------------------
// The legs' joints are solved 180 times per step: planck's solver allocates on every call.
installFastRevoluteJointSolver();

const FPS = 50;
const SCALE = 30;
const VIEW_W = 600 / SCALE;
const VIEW_H = 400 / SCALE;
const HALF_W = VIEW_W / 2;
const HALF_H = VIEW_H / 2;
const INITIAL_RANDOM = 1000;
const HULL_POLY: readonly (readonly [number, number])[] = [
  [-14, 17],
  [-17, 0],
  [-17, -10],
  [17, -10],
  [17, 0],
  [14, 17],
];
const LEG_AWAY = 20;
const LEG_DOWN = 18;
const LEG_W = 2;
const LEG_H = 8;
const LEG_SPRING_TORQUE = 40;
const SIDE_ENGINE_HEIGHT = 14;
const SIDE_ENGINE_AWAY = 12;
const MAIN_ENGINE_Y = 4;
const CHUNKS = 11;
const CHUNK_W = VIEW_W / (CHUNKS - 1);
const PAD_Y = VIEW_H / 4;
/** Box2D iteration counts used by Gymnasium (6·30 velocity, 2·30 position). */
const VELOCITY_ITERATIONS = 180;
const POSITION_ITERATIONS = 60;
const MAIN_FUEL_COST = 0.3;
const SIDE_FUEL_COST = 0.03;
const CATEGORY_GROUND = 0x0001;

/** Gymnasium LunarLander's time limit. */
export const LUNARLANDER_MAX_EPISODE_STEPS = 1000;

const BASE: Omit<LunarLanderTaskSpec, 'name' | 'description'> = {
  gravity: -10,
  windPower: 0,
  turbulencePower: 0,
  mainEnginePower: 13,
  sideEnginePower: 0.6,
  padChunk: 5,
};

/** The ten `lunarlander-mt` tasks. */
export const LUNARLANDER_TASKS: readonly LunarLanderTaskSpec[] = Object.freeze([
  { ...BASE, name: 'baseline', description: 'Gymnasium defaults: g = −10, no wind, centred pad' },
  { ...BASE, name: 'low-gravity', description: 'g = −5 m/s²', gravity: -5 },
  { ...BASE, name: 'high-gravity', description: 'g = −11.5 m/s²', gravity: -11.5 },
  { ...BASE, name: 'windy', description: 'wind 15 N, turbulence 1.5 N·m (Gymnasium enable_wind defaults)', windPower: 15, turbulencePower: 1.5 },
  { ...BASE, name: 'turbulent', description: 'wind 5 N, turbulence 3 N·m', windPower: 5, turbulencePower: 3 },
  { ...BASE, name: 'weak-engines', description: 'main 11, side 0.5 (≈85 %)', mainEnginePower: 11, sideEnginePower: 0.5 },
  { ...BASE, name: 'strong-engines', description: 'main 17, side 0.8 (≈130 %)', mainEnginePower: 17, sideEnginePower: 0.8 },
  { ...BASE, name: 'pad-left', description: 'pad centred at x = 6 m (chunk 3)', padChunk: 3 },
  { ...BASE, name: 'pad-right', description: 'pad centred at x = 14 m (chunk 7)', padChunk: 7 },
  { ...BASE, name: 'windy-pad-left-low-g', description: 'g = −8, wind 10 N, turbulence 1 N·m, pad at x = 8 m (chunk 4)', gravity: -8, windPower: 10, turbulencePower: 1, padChunk: 4 },
] satisfies LunarLanderTaskSpec[]);

/** Options of {@link LunarLanderEnv}. */
export interface LunarLanderEnvOptions {
  /** 2-d continuous action in [−1, 1] instead of 4 discrete actions. Defaults to false. */
  readonly continuous?: boolean;
  /** Initial task. Defaults to 0. */
  readonly taskIndex?: number;
  /** Seed used until `reset({ seed })`. Defaults to 0. */
  readonly seed?: number;
  /** Time limit. Defaults to 1000. */
  readonly maxEpisodeSteps?: number;
  /** Task table. Defaults to {@link LUNARLANDER_TASKS}. */
  readonly tasks?: readonly LunarLanderTaskSpec[];
}

function validateTask(t: LunarLanderTaskSpec): void {
  const fail = (msg: string): never => {
    throw new RangeError(`lunarlander-mt: task ${t.name}: ${msg}`);
  };
  if (!(Number.isFinite(t.gravity) && t.gravity < 0)) fail(`gravity must be negative, got ${t.gravity}`);
  for (const key of ['windPower', 'turbulencePower', 'mainEnginePower', 'sideEnginePower'] as const) {
    if (!(Number.isFinite(t[key]) && t[key] >= 0)) fail(`${key} must be ≥ 0, got ${t[key]}`);
  }
  if (!Number.isInteger(t.padChunk) || t.padChunk < 2 || t.padChunk > CHUNKS - 3) fail(`padChunk must be an integer in [2, ${CHUNKS - 3}], got ${t.padChunk}`);
}

/** Wraps an angle into (−π, π]. */
function wrapAngle(a: number): number {
  const twoPi = 2 * Math.PI;
  let w = a - twoPi * Math.floor((a + Math.PI) / twoPi);
  if (w <= -Math.PI) w += twoPi;
  return w;
}

function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Smooth gust profile in [−1, 1] shared by wind and turbulence (two incommensurate sines through tanh). */
function gust(k: number): number {
  return Math.tanh(Math.sin(0.02 * k) + Math.sin(Math.PI * 0.01 * k));
}

const OBS_LOW = [-2.5, -2.5, -10, -10, -Math.PI, -10, 0, 0] as const;
const OBS_HIGH = [2.5, 2.5, 10, 10, Math.PI, 10, 1, 1] as const;

/**
 * One LunarLander env able to run any task of its table.
 *
 * Observation (8, float32): `[x, y, vx, vy, angle, angularVelocity, leftLegContact, rightLegContact]`
 * - x = (hullX − 10 m) / 10 m (world frame: the pad of a task may sit off-centre);
 * - y = (hullY − (padY + legDown)) / 6.67 m; vx = vX·10/50; vy = vY·6.67/50 (Gymnasium's scalings);
 * - angle wrapped into (−π, π]; angularVelocity = 20·ω/50; contacts 0/1.
 * Values are clipped to Gymnasium's observation box (±2.5, ±2.5, ±10, ±10, ±π, ±10, [0,1], [0,1]);
 * rewards use the unclipped values.
 *
 * Actions — discrete: 0 noop, 1 left side engine, 2 main engine, 3 right side engine; continuous
 * `[main, lateral]` in [−1, 1] (clipped): main fires at (clip(main,0,1)+1)/2 throttle when main > 0;
 * the side engines fire when |lateral| > 0.5 at throttle clip(|lateral|, 0.5, 1), left when lateral < 0.
 *
 * Reward: change of the shaping potential −100·‖(x − padX, y)‖ − 100·‖(vx, vy)‖ − 100·|angle| +
 * 10·(leg contacts), where padX is the pad centre in the x observation's units, minus 0.3 per full
 * main-engine step and 0.03 per full side-engine step; −100 and termination on a crash (hull touches
 * the ground) or when |x| ≥ 1; +100 and termination when the lander comes to rest (Box2D puts its
 * body to sleep: speeds below 0.01 m/s and 2°/s for 0.5 s).
 *
 * Success (`info.success`): the episode terminated at rest with both legs touching the ground and
 * both feet (leg body centres) horizontally within the pad, [padX − 2 m, padX + 2 m].
 */
export class LunarLanderEnv extends TaskEnv {
  /** The task table this env draws its parameters from. */
  readonly tasks: readonly LunarLanderTaskSpec[];
  readonly continuous: boolean;

  private world: World | null = null;
  private hull: Body | null = null;
  private legs: [Body | null, Body | null] = [null, null];
  private legContact: [boolean, boolean] = [false, false];
  private gameOver = false;
  private windIdx = 0;
  private torqueIdx = 0;
  private terrain: number[] = [];
  private padX1 = 0;
  private padX2 = 0;
  private prevShaping = 0;
  private readonly obs = new Float64Array(8);
  private episodeStartRng: RngState | null = null;
  /** Actions of the running episode (replayed by setState), actionSize slots per step. */
  private readonly actionLog: Float32Array;
  private logLength = 0;

  constructor(options: LunarLanderEnvOptions = {}) {
    const tasks = options.tasks ?? LUNARLANDER_TASKS;
    if (tasks.length === 0) throw new RangeError('lunarlander-mt: empty task table');
    tasks.forEach(validateTask);
    const continuous = options.continuous ?? false;
    super({
      id: continuous ? 'lunarlander-mt-continuous' : 'lunarlander-mt-discrete',
      taskNames: tasks.map((t) => t.name),
      taskIndex: options.taskIndex ?? 0,
      maxEpisodeSteps: options.maxEpisodeSteps ?? LUNARLANDER_MAX_EPISODE_STEPS,
      observationSpace: box(OBS_LOW, OBS_HIGH),
      actionSpace: continuous ? box([-1, -1], [1, 1]) : discrete(4),
      seed: options.seed ?? 0,
      successAtTimeLimit: false,
    });
    this.tasks = tasks;
    this.continuous = continuous;
    this.actionLog = new Float32Array(this.maxEpisodeSteps * this.actionSize);
  }

  /** Spec of the running task. */
  get task(): LunarLanderTaskSpec {
    const t = this.tasks[this.taskIndex];
    if (t === undefined) throw new RangeError(`lunarlander-mt: no task ${this.taskIndex}`);
    return t;
  }

  /** The planck world of the running episode (for inspection; do not mutate). */
  get physicsWorld(): World | null {
    return this.world;
  }

  /** Pad extent `[x1, x2]` in metres for the running episode. */
  get pad(): readonly [number, number] {
    return [this.padX1, this.padX2];
  }

  protected resetCore(): void {
    this.episodeStartRng = this.rng.getState();
    this.logLength = 0;
    const task = this.task;
    // The world is rebuilt at every reset with the task's gravity, so a task's gravity can never be
    // lost to a rebuild that falls back to a default.
    const world = new World({ gravity: { x: 0, y: task.gravity } });
    this.world = world;
    this.gameOver = false;
    this.legContact = [false, false];

    // Terrain: CHUNKS + 1 random heights, flattened to the pad height around the pad, then smoothed
    // with a 3-point mean (clamped at the left edge).
    const heights: number[] = [];
    for (let i = 0; i <= CHUNKS; i++) heights.push(this.rng.uniform(0, VIEW_H / 2));
    for (let i = task.padChunk - 2; i <= task.padChunk + 2; i++) heights[i] = PAD_Y;
    const terrain: number[] = [];
    for (let i = 0; i < CHUNKS; i++) {
      const a = heights[Math.max(i - 1, 0)] ?? 0;
      const b = heights[i] ?? 0;
      const c = heights[i + 1] ?? 0;
      terrain.push(i >= task.padChunk - 1 && i <= task.padChunk + 1 ? PAD_Y : (a + b + c) / 3);
    }
    this.terrain = terrain;
    this.padX1 = CHUNK_W * (task.padChunk - 1);
    this.padX2 = CHUNK_W * (task.padChunk + 1);

    const moon = world.createBody({ type: 'static' });
    moon.createFixture({ shape: new Edge({ x: 0, y: 0 }, { x: VIEW_W, y: 0 }), density: 0, friction: 0.1 });
    for (let i = 0; i < CHUNKS - 1; i++) {
      moon.createFixture({
        shape: new Edge({ x: CHUNK_W * i, y: terrain[i] ?? 0 }, { x: CHUNK_W * (i + 1), y: terrain[i + 1] ?? 0 }),
        density: 0,
        friction: 0.1,
      });
    }

    const hull = world.createBody({ type: 'dynamic', position: { x: HALF_W, y: VIEW_H }, angle: 0 });
    hull.createFixture({
      shape: new Polygon(HULL_POLY.map(([x, y]) => ({ x: x / SCALE, y: y / SCALE }))),
      density: 5.0,
      friction: 0.1,
      restitution: 0,
      filterCategoryBits: 0x0010,
      filterMaskBits: CATEGORY_GROUND,
    });
    this.hull = hull;
    // Random initial push, applied during the first physics step.
    const fx = this.rng.uniform(-INITIAL_RANDOM, INITIAL_RANDOM);
    const fy = this.rng.uniform(-INITIAL_RANDOM, INITIAL_RANDOM);
    hull.applyForceToCenter({ x: fx, y: fy }, true);

    const legs: [Body | null, Body | null] = [null, null];
    for (const [k, side] of [
      [0, -1],
      [1, 1],
    ] as const) {
      const leg = world.createBody({ type: 'dynamic', position: { x: HALF_W - (side * LEG_AWAY) / SCALE, y: VIEW_H }, angle: side * 0.05 });
      leg.createFixture({
        shape: new Box(LEG_W / SCALE, LEG_H / SCALE),
        density: 1.0,
        restitution: 0,
        filterCategoryBits: 0x0020,
        filterMaskBits: CATEGORY_GROUND,
      });
      // Spring-loaded legs: a motor pushes each leg outward against a joint limit.
      world.createJoint(
        new RevoluteJoint({
            bodyA: hull,
            bodyB: leg,
            localAnchorA: { x: 0, y: 0 },
            localAnchorB: { x: (side * LEG_AWAY) / SCALE, y: LEG_DOWN / SCALE },
            referenceAngle: 0,
            enableMotor: true,
            enableLimit: true,
            maxMotorTorque: LEG_SPRING_TORQUE,
            motorSpeed: 0.3 * side,
            lowerAngle: side < 0 ? 0.4 : -0.9,
            upperAngle: side < 0 ? 0.9 : -0.4,
          }),
      );
      legs[k] = leg;
    }
    this.legs = legs;

    world.on('begin-contact', (contact: Contact) => this.onContact(contact, true));
    world.on('end-contact', (contact: Contact) => this.onContact(contact, false));

    // Phase of the gust profiles: always drawn (even for windless tasks) so that every task consumes
    // the generator identically and same-seed episodes of different tasks share terrain and push.
    this.windIdx = this.rng.nextIntUnbiased(19999) - 9999;
    this.torqueIdx = this.rng.nextIntUnbiased(19999) - 9999;

    // As in Gymnasium, the first observation comes from one physics step with engines off.
    this.prevShaping = Number.NaN;
    this.advance(0, 0, 0);
    this.coreReward = 0;
    this.coreTerminated = false;
    this.coreSuccess = false;
  }

  private onContact(contact: Contact, touching: boolean): void {
    const a = contact.getFixtureA().getBody();
    const b = contact.getFixtureB().getBody();
    if (touching && (a === this.hull || b === this.hull)) this.gameOver = true;
    for (let k = 0; k < 2; k++) {
      const leg = this.legs[k];
      if (leg !== null && (a === leg || b === leg)) this.legContact[k] = touching;
    }
  }

  protected stepCore(actions: ArrayLike<number>, offset: number): void {
    const n = this.actionSize;
    for (let i = 0; i < n; i++) this.actionLog[this.logLength * n + i] = actions[offset + i] ?? 0;
    this.logLength += 1;

    let mainPower = 0;
    let sidePower = 0;
    let direction = 0;
    if (this.continuous) {
      const main = clip(actions[offset] ?? 0, -1, 1);
      const lateral = clip(actions[offset + 1] ?? 0, -1, 1);
      if (main > 0) mainPower = (clip(main, 0, 1) + 1) * 0.5;
      if (Math.abs(lateral) > 0.5) {
        direction = Math.sign(lateral);
        sidePower = clip(Math.abs(lateral), 0.5, 1);
      }
    } else {
      const a = actions[offset];
      if (a === 2) mainPower = 1;
      else if (a === 1 || a === 3) {
        direction = a - 2;
        sidePower = 1;
      }
    }
    this.advance(mainPower, sidePower, direction);
  }

  /** Applies wind and engine impulses, steps the world, updates observation, reward and flags. */
  private advance(mainPower: number, sidePower: number, direction: number): void {
    const world = this.world;
    const hull = this.hull;
    const leftLeg = this.legs[0];
    const rightLeg = this.legs[1];
    if (world === null || hull === null || leftLeg === null || rightLeg === null) throw new Error('lunarlander-mt: no world; call reset()');
    const task = this.task;

    // Wind and turbulence act only while airborne (no leg touching).
    if (!this.legContact[0] && !this.legContact[1]) {
      if (task.windPower > 0) hull.applyForceToCenter({ x: gust(this.windIdx) * task.windPower, y: 0 }, true);
      if (task.turbulencePower > 0) hull.applyTorque(gust(this.torqueIdx) * task.turbulencePower, true);
      this.windIdx += 1;
      this.torqueIdx += 1;
    }

    const angle = hull.getAngle();
    const tipX = Math.sin(angle);
    const tipY = Math.cos(angle);
    const sideX = -tipY;
    const sideY = tipX;
    // Exhaust dispersion, drawn every step so that the generator advances the same way whatever the action.
    const d0 = this.rng.uniform(-1, 1) / SCALE;
    const d1 = this.rng.uniform(-1, 1) / SCALE;
    const pos = hull.getPosition();
    const px = pos.x;
    const py = pos.y;

    if (mainPower > 0) {
      // Nozzle offset below the hull centre along −tip; the impulse points the opposite way.
      const along = MAIN_ENGINE_Y / SCALE + 2 * d0;
      const ox = tipX * along + sideX * d1;
      const oy = -tipY * along - sideY * d1;
      const k = task.mainEnginePower * mainPower;
      hull.applyLinearImpulse({ x: -ox * k, y: -oy * k }, { x: px + ox, y: py + oy }, true);
    }
    if (sidePower > 0) {
      const across = 3 * d1 + (direction * SIDE_ENGINE_AWAY) / SCALE;
      const ox = tipX * d0 + sideX * across;
      const oy = -tipY * d0 - sideY * across;
      const k = task.sideEnginePower * sidePower;
      hull.applyLinearImpulse(
        { x: -ox * k, y: -oy * k },
        { x: px + ox - (tipX * 17) / SCALE, y: py + oy + (tipY * SIDE_ENGINE_HEIGHT) / SCALE },
        true,
      );
    }

    world.step(1 / FPS, VELOCITY_ITERATIONS, POSITION_ITERATIONS);

    const p = hull.getPosition();
    const v = hull.getLinearVelocity();
    const x = (p.x - HALF_W) / HALF_W;
    const y = (p.y - (PAD_Y + LEG_DOWN / SCALE)) / HALF_H;
    const vx = (v.x * HALF_W) / FPS;
    const vy = (v.y * HALF_H) / FPS;
    const ang = wrapAngle(hull.getAngle());
    const angVel = (20 * hull.getAngularVelocity()) / FPS;
    const left = this.legContact[0] ? 1 : 0;
    const right = this.legContact[1] ? 1 : 0;
    const o = this.obs;
    o[0] = clip(x, OBS_LOW[0], OBS_HIGH[0]);
    o[1] = clip(y, OBS_LOW[1], OBS_HIGH[1]);
    o[2] = clip(vx, OBS_LOW[2], OBS_HIGH[2]);
    o[3] = clip(vy, OBS_LOW[3], OBS_HIGH[3]);
    o[4] = ang;
    o[5] = clip(angVel, OBS_LOW[5], OBS_HIGH[5]);
    o[6] = left;
    o[7] = right;

    const padCentre = ((this.padX1 + this.padX2) / 2 - HALF_W) / HALF_W;
    const dx = x - padCentre;
    const shaping = -100 * Math.sqrt(dx * dx + y * y) - 100 * Math.sqrt(vx * vx + vy * vy) - 100 * Math.abs(ang) + 10 * left + 10 * right;
    let reward = Number.isNaN(this.prevShaping) ? 0 : shaping - this.prevShaping;
    this.prevShaping = shaping;
    reward -= mainPower * MAIN_FUEL_COST;
    reward -= sidePower * SIDE_FUEL_COST;

    let terminated = false;
    let success = false;
    if (this.gameOver || Math.abs(x) >= 1) {
      terminated = true;
      reward = -100;
    } else if (!hull.isAwake()) {
      terminated = true;
      reward = 100;
      const lx = leftLeg.getPosition().x;
      const rx = rightLeg.getPosition().x;
      success =
        this.legContact[0] && this.legContact[1] && lx >= this.padX1 && lx <= this.padX2 && rx >= this.padX1 && rx <= this.padX2;
    }
    this.coreReward = reward;
    this.coreTerminated = terminated;
    this.coreSuccess = success;
  }

  writeObservation(out: Float32Array, offset: number): void {
    const o = this.obs;
    for (let i = 0; i < 8; i++) out[offset + i] = o[i] ?? 0;
  }

  /**
   * Physics snapshot: hull and legs `[x, y, angle, vx, vy, ω]`, leg contacts, crash flag, gust phases,
   * terrain, pad, shaping potential and sleep state. Included in every state for inspection and used
   * by `setState` to verify the replay.
   */
  physicsSnapshot(): JsonObject {
    const bodyState = (b: Body | null): JsonValue => {
      if (b === null) return null;
      const p = b.getPosition();
      const v = b.getLinearVelocity();
      return [p.x, p.y, b.getAngle(), v.x, v.y, b.getAngularVelocity()];
    };
    return {
      hull: bodyState(this.hull),
      legs: [bodyState(this.legs[0]), bodyState(this.legs[1])],
      legContact: [this.legContact[0], this.legContact[1]],
      gameOver: this.gameOver,
      awake: this.hull?.isAwake() ?? false,
      windIdx: this.windIdx,
      torqueIdx: this.torqueIdx,
      terrain: [...this.terrain],
      pad: [this.padX1, this.padX2],
      prevShaping: this.prevShaping,
    };
  }

  /**
   * Box2D keeps solver warm-start impulses, contact manifolds and broad-phase ordering that planck
   * cannot restore through its API, and all of them change the next step's floating-point result.
   * So the exact state of an episode is its start (the generator state before the terrain draws)
   * plus the actions taken since; `setState` rebuilds the world and replays them, then checks the
   * result against the stored physics snapshot.
   */
  protected getCoreState(): JsonObject {
    const n = this.logLength * this.actionSize;
    const bytes = new Uint8Array(n * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) view.setFloat32(i * 4, this.actionLog[i] ?? 0, true);
    return {
      episodeStartRng: this.episodeStartRng as unknown as JsonObject,
      steps: this.logLength,
      actionsFloat32LE: Buffer.from(bytes).toString('base64'),
      reward: this.coreReward,
      terminated: this.coreTerminated,
      success: this.coreSuccess,
      physics: this.physicsSnapshot(),
    };
  }

  protected setCoreState(core: JsonObject, savedRng: RngState): void {
    const { episodeStartRng, steps, actionsFloat32LE, physics } = core;
    if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 0 || steps > this.maxEpisodeSteps) {
      throw new TypeError(`${this.id}: setState: core.steps must be an integer in [0, ${this.maxEpisodeSteps}]`);
    }
    if (typeof actionsFloat32LE !== 'string' || episodeStartRng === null || typeof episodeStartRng !== 'object') {
      throw new TypeError(`${this.id}: setState: core needs episodeStartRng and actionsFloat32LE`);
    }
    const bytes = Buffer.from(actionsFloat32LE, 'base64');
    const n = steps * this.actionSize;
    if (bytes.length !== n * 4) throw new TypeError(`${this.id}: setState: action log has ${bytes.length} bytes, expected ${n * 4}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const actions = new Float32Array(n);
    for (let i = 0; i < n; i++) actions[i] = view.getFloat32(i * 4, true);

    this.rng.setState(episodeStartRng as unknown as RngState);
    this.resetCore();
    for (let s = 0; s < steps; s++) this.stepCore(actions, s * this.actionSize);

    const replayed = JSON.stringify(this.physicsSnapshot());
    if (replayed !== JSON.stringify(physics) || JSON.stringify(this.rng.getState()) !== JSON.stringify(savedRng)) {
      throw new Error(`${this.id}: setState: replaying the stored actions did not reproduce the stored physics state (state from another version or task table?)`);
    }
  }

  override close(): void {
    super.close();
    this.world = null;
    this.hull = null;
    this.legs = [null, null];
  }
}
