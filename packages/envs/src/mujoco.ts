/**
 * Loading of the MuJoCo WASM module (`mujoco-js`, MuJoCo 3.3.8). The module instantiates
 * asynchronously, while the registry and the envs are synchronous: callers `await loadMujoco()` (or
 * `await prepareSuite('arm-mt10')`) once, after which {@link requireMujoco} hands out the instance
 * synchronously. One instance serves every env of the process (one WASM heap).
 */
import loadMujocoModule from 'mujoco-js';
import type { MainModule } from 'mujoco-js';

/** The instantiated `mujoco-js` module. */
export type MujocoModule = MainModule;

let instance: MujocoModule | null = null;
let pending: Promise<MujocoModule> | null = null;

/**
 * Instantiates the MuJoCo WASM module once per process (later calls return the same instance).
 * @returns the module; `requireMujoco()` returns it synchronously from then on
 */
export function loadMujoco(): Promise<MujocoModule> {
  if (instance !== null) return Promise.resolve(instance);
  pending ??= loadMujocoModule().then(
    (mod) => {
      instance = mod;
      return mod;
    },
    (error: unknown) => {
      pending = null;
      throw new Error(`loadMujoco: could not instantiate the mujoco-js WASM module: ${error instanceof Error ? error.message : String(error)}`);
    },
  );
  return pending;
}

/** Whether {@link loadMujoco} has completed. */
export function isMujocoLoaded(): boolean {
  return instance !== null;
}

/**
 * The loaded module.
 * @param who names the caller in the error message (e.g. `'suite "arm-mt10"'`)
 * @throws Error telling the caller to `await loadMujoco()` / `await prepareSuite(...)` first
 */
export function requireMujoco(who = 'arm-mt10'): MujocoModule {
  if (instance === null) {
    throw new Error(
      `${who} needs MuJoCo's WASM module, which loads asynchronously: call \`await prepareSuite('arm-mt10')\` ` +
        '(or `await loadMujoco()`) from @varshare/envs before creating it',
    );
  }
  return instance;
}

/**
 * Bytes of the WASM linear memory (the MuJoCo heap). WASM memory only grows, so a leak of
 * models/data shows up as growth across many create/close cycles.
 */
export function mujocoHeapBytes(): number {
  const mj = requireMujoco('mujocoHeapBytes');
  // mujoco-js exports no HEAP* views; every array accessor (e.g. MjData.qpos) is a typed-array view
  // of the linear memory, so its buffer is the heap.
  const model = probeModel(mj);
  const data = new mj.MjData(model);
  try {
    return (data.qpos as Float64Array).buffer.byteLength;
  } finally {
    data.delete();
  }
}

let probe: import('mujoco-js').MjModel | null = null;
function probeModel(mj: MujocoModule): import('mujoco-js').MjModel {
  if (probe === null) probe = loadModelFromXml(mj, '<mujoco model="probe"><worldbody><body><joint type="slide"/><geom size="0.1"/></body></worldbody></mujoco>', 'probe');
  return probe;
}

let fileCounter = 0;

/**
 * Compiles an MJCF string through mujoco-js's in-memory file system (the file is removed again).
 * The caller owns the returned model and must `.delete()` it.
 */
export function loadModelFromXml(mj: MujocoModule, xml: string, name: string): import('mujoco-js').MjModel {
  const dir = '/varshare-mjcf';
  const fs = mj.FS;
  if (!fs.analyzePath(dir, false).exists) fs.mkdir(dir);
  fileCounter += 1;
  const path = `${dir}/${name}-${fileCounter}.xml`;
  fs.writeFile(path, xml);
  try {
    const model = mj.MjModel.loadFromXML(path);
    if (!model) throw new Error(`MuJoCo could not compile the ${name} model`);
    return model;
  } finally {
    fs.unlink(path);
  }
}
