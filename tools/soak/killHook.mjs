// Soak-only fault injection, loaded with `node --import tools/soak/killHook.mjs …` (never by the
// trainer itself). VARSHARE_SOAK_KILL=<target>:<n>:<mode> SIGKILLs the process at the n-th write
// (1-based) to one kind of run-directory file:
//   target: config | metrics | eval | summary | checkpoint | tfevents
//   mode:   mid           half of the bytes written, then SIGKILL (a torn line, record or temp file)
//           before-rename the temp file complete and synced, SIGKILL before it is renamed into place
//                         (atomic files: config, summary, checkpoint)
//           pause         no kill: wait before that write until the file $VARSHARE_SOAK_MARK.go exists
//                         (holds the process at a chosen point, e.g. with the run lock taken but
//                         config.json not yet written)
// It patches node:fs and re-syncs the ESM named exports, so `import { writeSync } from 'node:fs'`
// in the trainer sees the patched functions. When the kill fires it leaves a marker file
// ($VARSHARE_SOAK_MARK) so the soak can tell a fired kill from a run that never reached the write.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';

const spec = process.env.VARSHARE_SOAK_KILL;
if (spec) {
  const [target, nText, mode] = spec.split(':');
  const n = Number(nText);
  const fdPath = new Map();
  let count = 0;
  const kindOf = (path) => {
    const name = basename(String(path ?? ''));
    if (name.startsWith('metrics.jsonl')) return 'metrics';
    if (name.startsWith('eval.jsonl')) return 'eval';
    if (name.startsWith('summary.json')) return 'summary';
    if (name.startsWith('config.json')) return 'config';
    if (name.startsWith('latest.ckpt')) return 'checkpoint';
    if (name.startsWith('events.out.tfevents')) return 'tfevents';
    return undefined;
  };
  const die = (what) => {
    if (process.env.VARSHARE_SOAK_MARK) fs.writeFileSync(process.env.VARSHARE_SOAK_MARK, `${what}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
  const { openSync, writeSync, renameSync } = fs;
  fs.openSync = function patchedOpen(path, ...rest) {
    const fd = openSync.call(this, path, ...rest);
    fdPath.set(fd, String(path));
    return fd;
  };
  fs.writeSync = function patchedWrite(fd, data, ...rest) {
    if (mode === 'pause' && kindOf(fdPath.get(fd)) === target && ++count === n) {
      const mark = process.env.VARSHARE_SOAK_MARK;
      fs.writeFileSync(mark, `paused before ${target} write ${n}\n`);
      while (!fs.existsSync(`${mark}.go`)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
    if (mode === 'mid' && kindOf(fdPath.get(fd)) === target && ++count === n) {
      if (typeof data === 'string') writeSync.call(this, fd, data.slice(0, Math.floor(data.length / 2)));
      else {
        const offset = typeof rest[0] === 'number' ? rest[0] : 0;
        const length = typeof rest[1] === 'number' ? rest[1] : data.byteLength - offset;
        writeSync.call(this, fd, data, offset, Math.max(1, Math.floor(length / 2)));
      }
      fs.fsyncSync(fd);
      die(`${target} write ${n} (mid)`);
    }
    return writeSync.call(this, fd, data, ...rest);
  };
  fs.renameSync = function patchedRename(from, to) {
    if (mode === 'before-rename' && kindOf(to) === target && ++count === n) die(`${target} write ${n} (before rename)`);
    return renameSync.call(this, from, to);
  };
  syncBuiltinESMExports();
}
