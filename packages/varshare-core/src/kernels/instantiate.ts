/**
 * The slice of the WebAssembly JS API the kernels use, typed here: the project's TypeScript
 * libraries (ES2022 + @types/node 20) do not declare the `WebAssembly` global.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
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
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  let module = compiled.get(base64);
  if (module === undefined) {
    try {
      module = new api.Module(Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0)));
    } catch {
      module = null;
    }
    compiled.set(base64, module);
  }
  return module ? (new api.Instance(module, imports).exports as T) : null;
}
