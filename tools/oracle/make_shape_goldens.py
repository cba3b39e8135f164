"""Expected results of the calibrated bell-curve test (include/aniso/shape.h),
computed independently of the C code: every phase regressed with
scipy.stats.linregress (t = slope / stderr), and the permutation p-value
with the project's random generator (src/base/rng.h) re-implemented here
in Python integers.

Writes tests/fixtures/shape/expected.json (or OUTDIR/expected.json): per
profile, its values (and layer numbers, when not 0..n-1), the statistic S,
the breakpoint k*, t1, t2 and the slopes at k*, and the p-value for the
seed and number of permutations stated there.

Usage: PY=$(tools/oracle/venv.sh) && "$PY" tools/oracle/make_shape_goldens.py [OUTDIR]
"""
import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import stats

SEED = 2026
CAP = 1e6
M64 = (1 << 64) - 1


# ---- src/base/rng.h ----

def splitmix(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Rng:
    def __init__(self, seed):
        self.s = []
        x = seed & M64
        for _ in range(4):
            x, z = splitmix(x)
            self.s.append(z)

    def next(self):
        s = self.s
        out = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return out

    def below(self, n):
        lim = (1 << 64) % n
        while True:
            x = self.next()
            if x >= lim:
                return x % n


# ---- the statistic ----

def t_stat(x, y):
    """The slope's t-statistic with shape.h's conventions."""
    if np.all(y == y[0]):
        return 0.0, 0.0
    r = stats.linregress(x, y)
    if r.stderr == 0:
        t = math.copysign(CAP, r.slope) if r.slope != 0 else 0.0
    else:
        t = r.slope / r.stderr
    return float(np.clip(t, -CAP, CAP)), float(r.slope)


def statistic(x, v):
    n = len(v)
    best = None
    for k in range(3, n - 2):
        t1, b1 = t_stat(x[:k], v[:k])
        t2, b2 = t_stat(x[k:], v[k:])
        s = min(t1, -t2)
        if best is None or s > best["S"]:
            best = {"S": s, "k": k, "t1": t1, "t2": t2, "slope1": b1, "slope2": b2}
    return best


def p_value(x, v, seed, n_perm):
    rng = Rng(seed)
    s_obs = statistic(x, v)["S"]
    hits = 0
    n = len(v)
    for _ in range(n_perm):
        w = list(v)
        for i in range(n - 1, 0, -1):
            j = rng.below(i + 1)
            w[i], w[j] = w[j], w[i]
        if statistic(x, np.array(w))["S"] >= s_obs:
            hits += 1
    return (1 + hits) / (n_perm + 1)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "tests", "fixtures", "shape")
    os.makedirs(outdir, exist_ok=True)
    g = np.random.default_rng(SEED)

    profiles = {}
    # A hand-sized one: 6 values, the only breakpoint k = 3.
    profiles["six"] = {"values": [0.1, 0.4, 0.35, 0.9, 0.6, 0.2]}
    # A bell: a Gaussian bump peaking at 40% depth plus noise, 19 layers.
    n = 19
    i = np.arange(n)
    bump = 0.2 + 0.5 * np.exp(-0.5 * ((i - 0.4 * (n - 1)) / 3.0) ** 2)
    profiles["bell19"] = {"values": (bump + 0.05 * g.standard_normal(n)).tolist()}
    # Pure noise, 27 layers.
    profiles["noise27"] = {"values": (0.5 + 0.1 * g.standard_normal(27)).tolist()}
    # A rising profile with noise, 33 layers.
    profiles["rising33"] = {
        "values": (0.1 + 0.02 * np.arange(33) + 0.05 * g.standard_normal(33)).tolist()}
    # Measured at some layers only (12 of 27).
    layers = [0, 2, 3, 5, 8, 9, 12, 14, 17, 20, 22, 26]
    lx = np.array(layers, dtype=float)
    profiles["layers12"] = {
        "x": layers,
        "values": (0.3 + 0.4 * np.exp(-0.5 * ((lx - 11) / 5.0) ** 2)
                   + 0.04 * g.standard_normal(len(layers))).tolist()}

    n_perm, seed = 999, 7
    for name, p in profiles.items():
        v = np.array(p["values"], dtype=float)
        x = np.array(p.get("x", range(len(v))), dtype=float)
        p.update(statistic(x, v))
        p["seed"] = seed
        p["n_perm"] = n_perm
        p["p"] = p_value(x, v, seed, n_perm)
        print(name, {k: p[k] for k in ("S", "k", "t1", "t2", "p")}, file=sys.stderr)

    out = {
        "generator": "tools/oracle/make_shape_goldens.py",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "t_cap": CAP,
        "profiles": profiles,
    }
    with open(os.path.join(outdir, "expected.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
