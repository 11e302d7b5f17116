"""Tiny deterministic environments with the Gymnasium API (reset(seed=...) -> (obs, info),
step(a) -> (obs, reward, terminated, truncated, info)), written in plain Python so that the
VarShare Gym bridge can be tested without Gymnasium. Select them as `gym:toy:<ClassName>`.
"""
import math
import random


class Box:
    def __init__(self, low, high):
        self.low = list(low)
        self.high = list(high)
        self.shape = (len(self.low),)


class Discrete:
    def __init__(self, n):
        self.n = n


class ToyChain:
    """Discrete(2) walk on a line: action 1 moves right, 0 left, with a seeded random start.
    Terminates (success) on reaching +5, truncates after 50 steps. Observation [x / 5, t / 50]."""

    max_episode_steps = 50

    def __init__(self):
        self.observation_space = Box([-2.0, 0.0], [2.0, 1.0])
        self.action_space = Discrete(2)
        self._rng = random.Random(0)
        self.x = 0
        self.t = 0

    def _obs(self):
        return [self.x / 5.0, self.t / 50.0]

    def reset(self, seed=None, options=None):
        if seed is not None:
            self._rng = random.Random(seed)
        self.x = self._rng.randint(-2, 2)
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        a = int(action)
        if a not in (0, 1):
            raise ValueError("ToyChain: action must be 0 or 1, got %r" % (action,))
        self.x += 1 if a == 1 else -1
        self.x = max(-9, min(9, self.x))
        self.t += 1
        terminated = self.x >= 5
        truncated = (not terminated) and self.t >= self.max_episode_steps
        reward = 1.0 if terminated else -0.01
        return self._obs(), reward, terminated, truncated, {"success": terminated}

    def close(self):
        pass


class ToyReach:
    """Continuous 2-d point reaching a seeded random goal in [-1, 1]^2; action = velocity in
    [-1, 1]^2 × 0.1. Never terminates; truncates after 100 steps; success within 0.05.
    Observation [x, y, gx, gy]; reward −distance."""

    max_episode_steps = 100

    def __init__(self):
        self.observation_space = Box([-2.0] * 4, [2.0] * 4)
        self.action_space = Box([-1.0, -1.0], [1.0, 1.0])
        self._rng = random.Random(0)
        self.p = [0.0, 0.0]
        self.g = [0.0, 0.0]
        self.t = 0

    def _obs(self):
        return [self.p[0], self.p[1], self.g[0], self.g[1]]

    def reset(self, seed=None, options=None):
        if seed is not None:
            self._rng = random.Random(seed)
        self.p = [self._rng.uniform(-1, 1), self._rng.uniform(-1, 1)]
        self.g = [self._rng.uniform(-1, 1), self._rng.uniform(-1, 1)]
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        for i in range(2):
            a = max(-1.0, min(1.0, float(action[i])))
            self.p[i] = max(-2.0, min(2.0, self.p[i] + 0.1 * a))
        self.t += 1
        d = math.hypot(self.p[0] - self.g[0], self.p[1] - self.g[1])
        truncated = self.t >= self.max_episode_steps
        return self._obs(), -d, False, truncated, {"success": d < 0.05}

    def close(self):
        pass
