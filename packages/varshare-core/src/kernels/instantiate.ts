import { setFlagsFromString } from 'node:v8';

/**
 * The slice of the WebAssembly JS API the kernels use, typed here: the project's TypeScript
 * libraries (ES2022 + @types/node 20) do not declare the `WebAssembly` global.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

const compiled = new Map<string, object | null>();

/**
 * A new instance of an embedded kernel (base64 of a .wat's assembly, see tools/wasm/build.mjs),
 * with the given imports (e.g. `{ env: { memory } }` to work on another kernel's memory); the
 * module is compiled once per process. Returns null when the runtime cannot
 * compile it (no WebAssembly, or no SIMD), so callers can fall back.
 */
export function instantiateKernel<T>(base64: string, imports: object = {}): T | null {
  const api = wasmApi();
  const module = compileKernel(base64);
  return api && module ? (new api.Instance(module, imports).exports as T) : null;
}

/** The compiled module of an embedded kernel (compiled once per process), or null when it cannot be. */
export function compileKernel(base64: string): object | null {
  const api = wasmApi();
  if (!api) return null;
  let module = compiled.get(base64);
  if (module === undefined) {
    enableRelaxedSimd();
    try {
      module = new api.Module(Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0)));
    } catch {
      module = null;
    }
    compiled.set(base64, module);
  }
  return module;
}

/**
 * A new shared memory of `initial` 64 KiB pages that may grow to `maximum` (for kernels that import
 * `env.memory` as shared, so helper threads can work on it), or null when the runtime has none.
 */
export function sharedKernelMemory(initial: number, maximum: number): WasmMemory | null {
  const api = wasmApi();
  if (!api || typeof SharedArrayBuffer === 'undefined') return null;
  try {
    return new api.Memory({ initial, maximum, shared: true });
  } catch {
    return null;
  }
}

/** `(func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd …))`: validates where relaxed SIMD compiles. */
const RELAXED_SIMD_PROBE = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]);

/**
 * gemm.wat's fused multiply-add is a relaxed-SIMD instruction, which Node 20's V8 (11.3) compiles
 * only with `--experimental-wasm-relaxed-simd` (on by default from V8 11.4, Node 22). The flag is
 * process-wide and read when a module is compiled, so it is set here, once, before the first kernel
 * compiles (worker threads get the modules compiled here), and only where relaxed SIMD does not
 * validate already (a V8 that has dropped the flag is never handed it). A runtime that still refuses
 * the module gets null from {@link compileKernel}, and the callers fall back to tfjs.
 */
let relaxedSimdSet = false;
function enableRelaxedSimd(): void {
  if (relaxedSimdSet) return;
  relaxedSimdSet = true;
  const api = (globalThis as unknown as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  if (!api || api.validate(RELAXED_SIMD_PROBE) || typeof process === 'undefined' || !process.versions?.node) return;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // a V8 without the flag: the module compiles if it has the feature, else compileKernel → null
  }
}

/** Whether this runtime compiles relaxed SIMD (after {@link compileKernel} has set what it needs). */
export function relaxedSimdAvailable(): boolean {
  enableRelaxedSimd();
  const api = (globalThis as unknown as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  return api?.validate(RELAXED_SIMD_PROBE) ?? false;
}

function wasmApi(): WasmApi | null {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly ?? null;
}
