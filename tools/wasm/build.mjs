#!/usr/bin/env node
/**
 * Assembles the hand-written WebAssembly kernels (`packages/<pkg>/src/kernels/<name>.wat`) with
 * wabt and embeds each binary as base64 in a sibling `<name>Wasm.ts`, so the package needs no
 * toolchain at run time. `npm run build:wasm` writes them; `--check` (run by `npm test`) only
 * verifies that every embedded binary is the assembly of the committed .wat, every generated
 * .wat (from a sibling `<name>.wat.mjs`) is its generator's output, and no `<name>Wasm.ts` is left
 * without its .wat (exit 1 otherwise): edit the .wat or its generator, then run this. A new .wat
 * needs nothing here; the modules that work on the kernel memory import it as `env.memory`, shared
 * (gemm.wat, act.wat, dense.wat, kl.wat, posterior.wat, adam.wat, see kernels/wasmKernels.ts), and each such module is also
 * embedded with the import unshared (`<name>UnsharedWasmBase64`), which the kernels use on one thread.
 */
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import wabtInit from 'wabt';

const packages = join(dirname(fileURLToPath(import.meta.url)), '../../packages');

/**
 * The post-MVP features the kernels use: SIMD, relaxed SIMD (gemm.wat's fused multiply-add), and
 * threads for the shared memory that the kernels' helper threads work on (kernels/kernelThreads.ts).
 * wabt.js validates with the features given to `validate`, not those given to the parser, so both
 * get them.
 */
const FEATURES = { simd: true, relaxed_simd: true, threads: true };

/** The assembled bytes of one .wat text (with {@link FEATURES}). */
export async function assembleWat(name, text) {
  const wabt = await wabtInit();
  let mod;
  try {
    mod = wabt.parseWat(name, text, FEATURES);
  } catch (e) {
    // wabt's error carries its whole emscripten source in the stack: keep the message only.
    throw new Error(String(e instanceof Error ? e.message : e).slice(0, 2000));
  }
  try {
    mod.validate(FEATURES);
    return Uint8Array.from(mod.toBinary({ write_debug_names: false }).buffer);
  } finally {
    mod.destroy();
  }
}

/** A shared memory import, `(memory MIN MAX shared)`. */
const SHARED_MEMORY = /\(memory (\d+) (\d+) shared\)/;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const dirs = readdirSync(packages).map((p) => join(packages, p, 'src/kernels')).filter((d) => existsSync(d));
  let stale = 0;
  // Generated kernels first: <name>.wat.mjs default-exports a function returning <name>.wat's text.
  for (const [dir, file] of dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.wat.mjs')).map((f) => [d, f]))) {
    const text = (await import(pathToFileURL(join(dir, file)).href)).default();
    const target = join(dir, file.slice(0, -4));
    if (!check) {
      writeFileSync(target, text);
      continue;
    }
    if (!existsSync(target) || readFileSync(target, 'utf8') !== text) {
      console.error(`${target}: not the output of ${file} — run npm run build:wasm`);
      stale++;
    }
  }
  // An embedded module whose .wat is gone (moved or deleted) would ship bytes nobody can rebuild.
  for (const [dir, file] of dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('Wasm.ts')).map((f) => [d, f]))) {
    if (!existsSync(join(dir, `${file.slice(0, -'Wasm.ts'.length)}.wat`))) {
      console.error(`${join(dir, file)}: no ${file.slice(0, -'Wasm.ts'.length)}.wat beside it — delete it or restore its source`);
      stale++;
    }
  }
  for (const [dir, file] of dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.wat')).map((f) => [d, f]))) {
    const stem = file.slice(0, -4);
    const text = readFileSync(join(dir, file), 'utf8');
    // A module that imports a shared memory is also embedded without `shared` (`<stem>UnsharedWasmBase64`):
    // the kernels run on an unshared memory until helper threads are asked for (kernels/wasmKernels.ts).
    const variants = [{ name: `${stem}WasmBase64`, doc: `The WebAssembly binary of ${file}, base64.`, text }];
    if (SHARED_MEMORY.test(text)) {
      variants.push({ name: `${stem}UnsharedWasmBase64`, doc: `${file} with its memory import not shared, base64.`, text: text.replace(SHARED_MEMORY, '(memory $1 $2)') });
    }
    const target = join(dir, `${stem}Wasm.ts`);
    const existing = check && existsSync(target) ? readFileSync(target, 'utf8') : '';
    const parts = [`// Assembled from ${file} by tools/wasm/build.mjs (npm run build:wasm): do not edit.`];
    for (const v of variants) {
      const b64 = Buffer.from(await assembleWat(file, v.text)).toString('base64');
      if (check) {
        const m = new RegExp(`${v.name} =\\n([\\s\\S]*?);\\n`).exec(existing);
        const embedded = m ? [...(m[1] ?? '').matchAll(/'([^']*)'/g)].map((q) => q[1]).join('') : null;
        if (embedded !== b64) {
          console.error(`${target}: ${v.name} is not the assembly of ${file} — run npm run build:wasm`);
          stale++;
        }
        continue;
      }
      const lines = b64.match(/.{1,100}/g) ?? [];
      parts.push(`/** ${v.doc} */\nexport const ${v.name} =\n${lines.map((l) => `  '${l}'`).join(' +\n')};`);
    }
    if (check) continue;
    writeFileSync(target, `${parts.join('\n')}\n`);
    console.log(`${file}: ${variants.map((v) => v.name).join(', ')} → ${stem}Wasm.ts`);
  }
  process.exit(stale ? 1 : 0);
}
