#!/usr/bin/env python3
"""VarShare Gym bridge server: runs Gymnasium envs (or Meta-World MT10, or the plain-Python toy
envs of toy_envs.py) for the Node trainer and serves batched reset/step over two named pipes.

Started by @varshare/envs (GymBridgeVectorEnv); not meant to be run by hand. Standard library only,
plus optional imports of gymnasium / metaworld / numpy when the requested envs need them.

Protocol (all numbers little-endian; see packages/envs/README.md):
  every message = one JSON line (UTF-8, '\n'-terminated) + `bytes` raw payload bytes.
  server -> client, first: {"ok": true, "type": "hello", "tasks": [...], "rows": R, "obs_dim": D,
      "obs_low": [...], "obs_high": [...], "action": {"kind": "discrete", "n": N} |
      {"kind": "box", "low": [...], "high": [...]}, "max_episode_steps": T | null, "bytes": 0}
    or {"ok": false, "error": "gymnasium-missing" | "metaworld-missing" | "unknown-env" |
      "bad-env" | "exception", "message": "..."} and exit.
  client -> server: {"cmd": "reset", "seeds": [R ints], "bytes": 0}
    -> {"ok": true, "bytes": 4*R*D} + float32 observations [R, D]
  client -> server: {"cmd": "step", "bytes": 4*R*A} + float32 actions [R, A] (A = 1 for discrete)
    -> {"ok": true, "bytes": 4*R*(2D+4)} + float32 [observations R*D, final observations R*D,
       rewards R, terminated R, truncated R, success R]; rows whose episode ended were reset
       (same-step autoreset, generator continuing) and their final observation is filled in.
  client -> server: {"cmd": "close", "bytes": 0} -> exits.
Row r runs task r % numTasks.
"""
import argparse
import importlib
import inspect
import json
import os
import random
import sys
import traceback
from array import array

LITTLE = sys.byteorder == "little"


def f32_bytes(values):
    a = array("f", values)
    if not LITTLE:
        a.byteswap()
    return a.tobytes()


def f32_from(buf):
    a = array("f")
    a.frombytes(buf)
    if not LITTLE:
        a.byteswap()
    return a


def flat(x):
    """Flattens an observation (list, tuple, numpy array) into a list of floats."""
    if hasattr(x, "reshape"):
        return [float(v) for v in x.reshape(-1)]
    out = []
    for v in x:
        if isinstance(v, (list, tuple)) or hasattr(v, "__len__"):
            out.extend(flat(v))
        else:
            out.append(float(v))
    return out


class Failure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def space_bounds(space, what):
    if hasattr(space, "n") and not hasattr(space, "low"):
        return {"kind": "discrete", "n": int(space.n)}
    if hasattr(space, "low") and hasattr(space, "high"):
        low = flat(space.low)
        high = flat(space.high)
        return {"kind": "box", "low": low, "high": high}
    raise Failure("bad-env", "%s must be a Box or Discrete space, got %r" % (what, space))


class Row:
    """One env plus the bookkeeping the bridge needs (time limit, Meta-World task sampling)."""

    def __init__(self, env, max_steps, task_sampler=None):
        self.env = env
        self.max_steps = max_steps
        self.task_sampler = task_sampler
        self.t = 0
        self.rng = random.Random(0)

    def reset(self, seed=None):
        if seed is not None:
            self.rng = random.Random(seed)
        if self.task_sampler is not None:
            self.task_sampler(self.env, self.rng)
        self.t = 0
        obs, _info = self.env.reset(seed=seed) if seed is not None else self.env.reset()
        return flat(obs)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.t += 1
        terminated = bool(terminated)
        truncated = bool(truncated) and not terminated
        if self.max_steps is not None and self.t >= self.max_steps and not terminated:
            truncated = True
        success = bool(info.get("success", False)) if isinstance(info, dict) else False
        return flat(obs), float(reward), terminated, truncated, success


def make_gymnasium(env_id, max_steps):
    try:
        import gymnasium
    except ImportError as e:
        raise Failure("gymnasium-missing", "cannot import gymnasium (%s); install it with: pip install gymnasium" % e)
    for mod in filter(None, os.environ.get("VARSHARE_GYM_MODULES", "").split(",")):
        importlib.import_module(mod.strip())
    try:
        kwargs = {} if max_steps is None else {"max_episode_steps": max_steps}
        env = gymnasium.make(env_id, **kwargs)
    except gymnasium.error.Error as e:
        raise Failure("unknown-env", "Gymnasium cannot make %r: %s" % (env_id, e))
    limit = max_steps if max_steps is not None else (env.spec.max_episode_steps if env.spec is not None else None)
    return env, limit


def toy_env_classes(module):
    """The env classes a toy module offers: classes defined in it (not imported into it) with
    Gymnasium's reset/step, by name. Anything else in the module (helpers, imported modules such as
    `math`, functions) is not an env and cannot be selected with gym:toy:<name>."""
    return {
        name: obj
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and not name.startswith("_")
        and obj.__module__ == module.__name__
        and callable(getattr(obj, "reset", None))
        and callable(getattr(obj, "step", None))
    }


def make_toy(name, max_steps):
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    module = importlib.import_module(os.environ.get("VARSHARE_TOY_MODULE", "toy_envs"))
    classes = toy_env_classes(module)
    cls = classes.get(name)
    if cls is None:
        raise Failure(
            "unknown-env",
            "toy env module %s has no env %r (toy envs: %s)" % (module.__name__, name, ", ".join(sorted(classes)) or "none"),
        )
    env = cls()
    return env, max_steps if max_steps is not None else getattr(env, "max_episode_steps", None)


def make_metaworld_mt10(rows_per_task, max_steps, seed):
    try:
        import metaworld
    except ImportError as e:
        raise Failure("metaworld-missing", "cannot import metaworld (%s); install it with: pip install metaworld" % e)
    mt10 = metaworld.MT10(seed=seed)
    names = list(mt10.train_classes.keys())
    envs = []
    for r in range(len(names) * rows_per_task):
        name = names[r % len(names)]
        env = mt10.train_classes[name]()
        tasks = [t for t in mt10.train_tasks if t.env_name == name]

        def sampler(e, rng, tasks=tasks):
            e.set_task(tasks[rng.randrange(len(tasks))])

        sampler(env, random.Random(0))
        limit = max_steps if max_steps is not None else getattr(env, "max_path_length", 500)
        envs.append(Row(env, limit, sampler))
    return names, envs


def build(env_ids, rows_per_task, max_steps, seed):
    if env_ids == ["metaworld-mt10"]:
        return make_metaworld_mt10(rows_per_task, max_steps, seed)
    rows = []
    for r in range(len(env_ids) * rows_per_task):
        env_id = env_ids[r % len(env_ids)]
        if env_id.startswith("toy:"):
            env, limit = make_toy(env_id[4:], max_steps)
        else:
            env, limit = make_gymnasium(env_id, max_steps)
        rows.append(Row(env, limit))
    return env_ids, rows


class Channel:
    def __init__(self, req_path, resp_path):
        # Open the response pipe first: the client already holds its read end, so this returns at
        # once; the request pipe's open then waits for the client's write end.
        self.out = open(resp_path, "wb", buffering=0)
        self.inp = open(req_path, "rb", buffering=0)

    def send(self, header, payload=b""):
        header = dict(header)
        header["bytes"] = len(payload)
        data = (json.dumps(header) + "\n").encode("utf-8") + payload
        view = memoryview(data)
        while view:
            n = self.out.write(view)
            view = view[n:]

    def _read_exact(self, n):
        chunks = []
        while n > 0:
            b = self.inp.read(n)
            if not b:
                raise EOFError
            chunks.append(b)
            n -= len(b)
        return b"".join(chunks)

    def recv(self):
        line = bytearray()
        while True:
            b = self.inp.read(1)
            if not b:
                raise EOFError
            if b == b"\n":
                break
            line += b
        header = json.loads(line.decode("utf-8"))
        payload = self._read_exact(int(header.get("bytes", 0)))
        return header, payload


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--req", required=True)
    ap.add_argument("--resp", required=True)
    ap.add_argument("--env-ids", required=True)
    ap.add_argument("--rows-per-task", type=int, default=1)
    ap.add_argument("--max-episode-steps", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    ch = Channel(args.req, args.resp)
    try:
        tasks, rows = build([s for s in args.env_ids.split(",") if s], args.rows_per_task, args.max_episode_steps, args.seed)
        first = rows[0].env
        obs_space = space_bounds(first.observation_space, "observation space")
        if obs_space["kind"] != "box":
            raise Failure("bad-env", "observation space must be a Box")
        action = space_bounds(first.action_space, "action space")
        for row in rows[1:]:
            if space_bounds(row.env.observation_space, "observation space") != obs_space or space_bounds(row.env.action_space, "action space") != action:
                raise Failure("bad-env", "all tasks must share observation and action spaces")
    except Failure as f:
        ch.send({"ok": False, "error": f.code, "message": f.message})
        return 1
    except Exception as e:  # noqa: BLE001 - reported to the client verbatim
        ch.send({"ok": False, "error": "exception", "message": "%s\n%s" % (e, traceback.format_exc())})
        return 1
    dim = len(obs_space["low"])
    nrows = len(rows)
    discrete = action["kind"] == "discrete"
    adim = 1 if discrete else len(action["low"])
    ch.send({
        "ok": True, "type": "hello", "tasks": tasks, "rows": nrows, "obs_dim": dim,
        "obs_low": [v if v == v and abs(v) != float("inf") else None for v in obs_space["low"]],
        "obs_high": [v if v == v and abs(v) != float("inf") else None for v in obs_space["high"]],
        "action": action, "max_episode_steps": rows[0].max_steps,
    })
    while True:
        try:
            header, payload = ch.recv()
        except EOFError:
            return 0
        cmd = header.get("cmd")
        try:
            if cmd == "close":
                for row in rows:
                    row.env.close()
                ch.send({"ok": True})
                return 0
            if cmd == "reset":
                seeds = header["seeds"]
                obs = []
                for r, row in enumerate(rows):
                    obs.extend(row.reset(int(seeds[r])))
                ch.send({"ok": True}, f32_bytes(obs))
            elif cmd == "step":
                acts = f32_from(payload)
                obs, final, rew, term, trunc, succ = [], [0.0] * (nrows * dim), [], [], [], []
                for r, row in enumerate(rows):
                    if discrete:
                        a = int(acts[r])
                    else:
                        a = [float(v) for v in acts[r * adim:(r + 1) * adim]]
                        try:
                            import numpy
                            a = numpy.asarray(a, dtype=numpy.float32)
                        except ImportError:
                            pass
                    o, rw, te, tr, su = row.step(a)
                    if te or tr:
                        final[r * dim:(r + 1) * dim] = o
                        o = row.reset()
                    obs.extend(o)
                    rew.append(rw)
                    term.append(1.0 if te else 0.0)
                    trunc.append(1.0 if tr else 0.0)
                    succ.append(1.0 if su else 0.0)
                ch.send({"ok": True}, f32_bytes(obs + final + rew + term + trunc + succ))
            else:
                ch.send({"ok": False, "error": "protocol", "message": "unknown command %r" % (cmd,)})
        except Exception as e:  # noqa: BLE001
            ch.send({"ok": False, "error": "exception", "message": "%s\n%s" % (e, traceback.format_exc())})


if __name__ == "__main__":
    sys.exit(main())
