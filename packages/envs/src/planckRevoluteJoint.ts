/**
 * An allocation-free `RevoluteJoint.solveVelocityConstraints` for planck 1.4.2, installed on
 * planck's class by {@link installFastRevoluteJointSolver} (lunarLander.ts does it on import).
 *
 * LunarLander steps its world with Gymnasium's 180 velocity iterations, and each iteration solves
 * both leg joints: planck's version builds ~10 short-lived Vec2/Vec3 objects per call, which with
 * the garbage they make was ~half of a lunarlander-mt env step (V8 profile: the solver 33 %,
 * `solve33` 10 %, Vec constructors and helpers ~20 %, GC 12 %). This one evaluates the same
 * expressions in the same order on plain numbers — every intermediate is the value planck computes
 * (including `0 + x` where planck adds into a zero vector, and `1 * x` where it scales by 1) — so
 * trajectories are bit-identical (tested step for step against planck's own method).
 */
import { createHash } from 'node:crypto';
import { RevoluteJoint } from 'planck';

// planck's LimitState enum (not exported): inactiveLimit 0, atLowerLimit 1, atUpperLimit 2, equalLimits 3.
const INACTIVE_LIMIT = 0;
const AT_LOWER_LIMIT = 1;
const AT_UPPER_LIMIT = 2;
const EQUAL_LIMITS = 3;

interface V2 {
  x: number;
  y: number;
}
interface V3 extends V2 {
  z: number;
}
/** The fields of planck's RevoluteJoint this solver reads and writes (private in its typings). */
interface JointState {
  m_bodyA: { c_velocity: { v: V2; w: number } };
  m_bodyB: { c_velocity: { v: V2; w: number } };
  m_invMassA: number;
  m_invMassB: number;
  m_invIA: number;
  m_invIB: number;
  m_enableMotor: boolean;
  m_enableLimit: boolean;
  m_limitState: number;
  m_motorSpeed: number;
  m_motorMass: number;
  m_motorImpulse: number;
  m_maxMotorTorque: number;
  m_rA: V2;
  m_rB: V2;
  m_impulse: V3;
  m_mass: { ex: V3; ey: V3; ez: V3 };
}

function clamp(num: number, min: number, max: number): number {
  return num < min ? min : num > max ? max : num;
}

/** planck 1.4.2's RevoluteJoint.prototype.solveVelocityConstraints, without allocations. */
export function fastSolveVelocityConstraints(this: JointState, step: { dt: number }): void {
  const vA2 = this.m_bodyA.c_velocity.v;
  let wA = this.m_bodyA.c_velocity.w;
  const vB2 = this.m_bodyB.c_velocity.v;
  let wB = this.m_bodyB.c_velocity.w;
  const mA = this.m_invMassA;
  const mB = this.m_invMassB;
  const iA = this.m_invIA;
  const iB = this.m_invIB;
  const fixedRotation = iA + iB === 0;
  if (this.m_enableMotor && this.m_limitState != EQUAL_LIMITS && fixedRotation == false) {
    const Cdot = wB - wA - this.m_motorSpeed;
    let impulse = -this.m_motorMass * Cdot;
    const oldImpulse = this.m_motorImpulse;
    const maxImpulse = step.dt * this.m_maxMotorTorque;
    this.m_motorImpulse = clamp(this.m_motorImpulse + impulse, -maxImpulse, maxImpulse);
    impulse = this.m_motorImpulse - oldImpulse;
    wA -= iA * impulse;
    wB += iB * impulse;
  }
  const rA = this.m_rA;
  const rB = this.m_rB;
  // Cdot1 = 0 + (1·vB + 1·(wB × rB)), then − (1·vA + 1·(wA × rA)), as Vec2.zero().addCombine(…).subCombine(…)
  const cBx = -wB * rB.y;
  const cBy = wB * rB.x;
  let c1x = 0 + (1 * vB2.x + 1 * cBx);
  let c1y = 0 + (1 * vB2.y + 1 * cBy);
  const cAx = -wA * rA.y;
  const cAy = wA * rA.x;
  c1x -= 1 * vA2.x + 1 * cAx;
  c1y -= 1 * vA2.y + 1 * cAy;
  const M = this.m_mass;
  if (this.m_enableLimit && this.m_limitState != INACTIVE_LIMIT && fixedRotation == false) {
    const Cdot2 = wB - wA;
    // impulse = −solve33(Cdot1, Cdot2) (Mat33.solve33, then Vec3.neg)
    const { ex, ey, ez } = M;
    let crossX = ey.y * ez.z - ey.z * ez.y;
    let crossY = ey.z * ez.x - ey.x * ez.z;
    let crossZ = ey.x * ez.y - ey.y * ez.x;
    let det = ex.x * crossX + ex.y * crossY + ex.z * crossZ;
    if (det !== 0) det = 1 / det;
    crossX = ey.y * ez.z - ey.z * ez.y;
    crossY = ey.z * ez.x - ey.x * ez.z;
    crossZ = ey.x * ez.y - ey.y * ez.x;
    const rx = det * (c1x * crossX + c1y * crossY + Cdot2 * crossZ);
    crossX = c1y * ez.z - Cdot2 * ez.y;
    crossY = Cdot2 * ez.x - c1x * ez.z;
    crossZ = c1x * ez.y - c1y * ez.x;
    const ry = det * (ex.x * crossX + ex.y * crossY + ex.z * crossZ);
    crossX = ey.y * Cdot2 - ey.z * c1y;
    crossY = ey.z * c1x - ey.x * Cdot2;
    crossZ = ey.x * c1y - ey.y * c1x;
    const rz = det * (ex.x * crossX + ex.y * crossY + ex.z * crossZ);
    let ix = -rx;
    let iy = -ry;
    let iz = -rz;
    const acc = this.m_impulse;
    const state = this.m_limitState;
    if (state == EQUAL_LIMITS) {
      acc.x += ix;
      acc.y += iy;
      acc.z += iz;
    } else if (state == AT_LOWER_LIMIT || state == AT_UPPER_LIMIT) {
      const newImpulse = acc.z + iz;
      if (state == AT_LOWER_LIMIT ? newImpulse < 0 : newImpulse > 0) {
        // rhs = −1·Cdot1 + acc.z·(ez.x, ez.y) (Vec2.combine), reduced = solve22(rhs)
        const hx = -1 * c1x + acc.z * ez.x;
        const hy = -1 * c1y + acc.z * ez.y;
        solve22(M, hx, hy);
        const redX = solved[0] as number;
        const redY = solved[1] as number;
        ix = redX;
        iy = redY;
        iz = -acc.z;
        acc.x += redX;
        acc.y += redY;
        acc.z = 0;
      } else {
        acc.x += ix;
        acc.y += iy;
        acc.z += iz;
      }
    }
    // P = (ix, iy): vA −= mA·P, wA −= iA·(rA × P + iz), vB += mB·P, wB += iB·(rB × P + iz)
    vA2.x -= mA * ix;
    vA2.y -= mA * iy;
    wA -= iA * (rA.x * iy - rA.y * ix + iz);
    vB2.x += mB * ix;
    vB2.y += mB * iy;
    wB += iB * (rB.x * iy - rB.y * ix + iz);
  } else {
    // impulse = solve22(−Cdot1)
    solve22(M, -c1x, -c1y);
    const ix = solved[0] as number;
    const iy = solved[1] as number;
    this.m_impulse.x += ix;
    this.m_impulse.y += iy;
    vA2.x -= mA * ix;
    vA2.y -= mA * iy;
    wA -= iA * (rA.x * iy - rA.y * ix);
    vB2.x += mB * ix;
    vB2.y += mB * iy;
    wB += iB * (rB.x * iy - rB.y * ix);
  }
  this.m_bodyA.c_velocity.v = vA2;
  this.m_bodyA.c_velocity.w = wA;
  this.m_bodyB.c_velocity.v = vB2;
  this.m_bodyB.c_velocity.w = wB;
}

/** Result of {@link solve22} (reused: the solver reads it at once). */
const solved = new Float64Array(2);

/** Mat33.solve22 on (x, y), into {@link solved}. */
function solve22(M: { ex: V3; ey: V3 }, x: number, y: number): void {
  const a11 = M.ex.x;
  const a12 = M.ey.x;
  const a21 = M.ex.y;
  const a22 = M.ey.y;
  let det = a11 * a22 - a12 * a21;
  if (det !== 0) det = 1 / det;
  solved[0] = det * (a22 * x - a12 * y);
  solved[1] = det * (a11 * y - a21 * x);
}

const proto = RevoluteJoint.prototype as unknown as { solveVelocityConstraints: (step: { dt: number }) => void };
/** planck's own method, kept for the tests that compare the two. */
export const planckSolveVelocityConstraints = proto.solveVelocityConstraints;

/** SHA-256 of the source of planck 1.4.2's method (ESM build), which this file transcribes. */
const TRANSCRIBED_SOURCE_SHA256 = '8c48f77a0eee9d750525e0d2fea5a9c6052dc61f65a110b17722a1be52b0d78c';

/**
 * Whether planck's method is the one transcribed here: after any change to it (another planck
 * version) the fast solver is not installed, and its test fails until it is transcribed again.
 */
export const fastSolverMatchesPlanck = createHash('sha256').update(planckSolveVelocityConstraints.toString()).digest('hex') === TRANSCRIBED_SOURCE_SHA256;

/**
 * Makes every planck RevoluteJoint of the process use {@link fastSolveVelocityConstraints} when
 * planck's method is the transcribed one (idempotent), or planck's own method with `fast = false`
 * (tests). Returns whether the fast solver is installed.
 */
export function installFastRevoluteJointSolver(fast = true): boolean {
  const use = fast && fastSolverMatchesPlanck;
  proto.solveVelocityConstraints = use ? fastSolveVelocityConstraints : planckSolveVelocityConstraints;
  return use;
}
