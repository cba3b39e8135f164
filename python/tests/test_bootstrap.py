"""The bootstrap of `aniso profile`, reproduced by an independent numpy
implementation from the hidden states (`aniso hidden`) and the resampled
units aniso writes (--boot-indices): every per-layer interval (percentile
and BCa), each replicate's profile statistics, and the generator's draws.

The metrics here are written from docs/METRICS.md's definitions on the
replicated rows themselves (numpy's covariance, SVD and cdist-like
distances), not from the Gram-matrix and block shortcuts aniso takes."""

import json
import math

import numpy as np
import pytest

from conftest import FIXTURES, write_jsonl

MODEL = FIXTURES / "forward" / "gemma3-f32"  # d = 64
METRICS = [
    "eigenvalue_variance", "intrinsic_dim_ratio", "effective_rank", "avg_cos_sim_to_mean",
    "var_top1", "var_top10", "var_top50", "mean_norm", "std_norm", "norm_cv",
    "participation_ratio", "isoscore", "stable_rank", "rankme", "mean_pairwise_cosine",
    "twonn_dimension",
]


# ---- the generator (docs/METRICS.md, Random numbers) ----
M64 = (1 << 64) - 1


def splitmix(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


class Xoshiro:
    def __init__(self, seed):
        self.s = []
        x = seed
        for _ in range(4):
            x, z = splitmix(x)
            self.s.append(z)

    def next(self):
        s = self.s
        rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & M64
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


# ---- the metrics, from their definitions ----
def metrics(X):
    X = X.astype(np.float64)
    n, d = X.shape
    mu = X.mean(axis=0)
    Xc = X - mu
    cov = Xc.T @ Xc / (n - 1)
    lam = np.maximum(np.sort(np.linalg.eigvalsh(cov))[::-1], 1e-10)
    T = lam.sum()
    p = lam / T
    cum = np.cumsum(lam) / T
    norms = np.linalg.norm(X, axis=1)
    mun = np.linalg.norm(mu)
    out = {
        "eigenvalue_variance": np.var(lam),
        "intrinsic_dim_ratio": lam[0] / T,
        "effective_rank": math.exp(-np.sum(p * np.log(p + 1e-10))),
        "avg_cos_sim_to_mean": float(np.mean(X @ mu / (norms * mun + 1e-10))) if mun > 1e-10 else 0.0,
        "var_top1": lam[0] / T,
        "var_top10": cum[min(9, d - 1)],
        "var_top50": cum[min(49, d - 1)],
        "mean_norm": norms.mean(),
        "std_norm": norms.std(),
        "norm_cv": norms.std() / norms.mean(),
    }
    pr = T * T / np.sum(lam * lam)
    out["participation_ratio"] = pr
    out["isoscore"] = (pr - 1) / (d - 1)
    out["stable_rank"] = T / lam[0]
    s = np.sqrt(lam[: min(n, d)])
    q = s / s.sum() + 1e-7
    out["rankme"] = math.exp(-np.sum(q * np.log(q)))
    U = X / norms[:, None]
    C = U @ U.T
    out["mean_pairwise_cosine"] = (C.sum() - np.trace(C)) / (n * (n - 1))
    P = np.unique(X, axis=0)
    tw = float("nan")
    if len(P) >= 3:
        P = P - P.mean(axis=0)
        sq = (P * P).sum(axis=1)
        D = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * P @ P.T, 0))
        np.fill_diagonal(D, np.inf)
        D.sort(axis=1)
        tw = (len(P) - 1) / np.sum(np.log(D[:, 1] / D[:, 0]))
    out["twonn_dimension"] = tw
    return {k: float(v) for k, v in out.items()}


def percentile(v, level=0.95):
    a = (1 - level) / 2
    return np.quantile(v, a), np.quantile(v, 1 - a)


def norm_ppf(p):
    # the inverse normal CDF by bisection on erfc (no scipy in the test venv)
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def norm_cdf(z):
    return 0.5 * math.erfc(-z / math.sqrt(2))


def bca(v, est, jack, level=0.95):
    """Efron's BCa as scipy.stats.bootstrap computes it."""
    z0 = norm_ppf(np.mean(v < est))
    d = np.mean(jack) - jack
    a = np.sum(d ** 3) / (6 * np.sum(d ** 2) ** 1.5)
    out = []
    for z in (norm_ppf((1 - level) / 2), norm_ppf((1 + level) / 2)):
        out.append(np.quantile(v, norm_cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))))
    return out


def profile_stats(idr):
    """L*, range, max and the two phase slopes of a profile on layers 0..L."""
    idr = np.asarray(idr)
    L = int(np.argmax(idr))

    def slope(y):
        if len(y) < 2:
            return 0.0
        x = np.arange(len(y), dtype=np.float64)
        return float(np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2))

    return L, float(idr.max() - idr.min()), float(idr[L]), slope(idr[:L]), slope(idr[L:])


def run_case(cli, tmp_path, prompts, extra):
    out = tmp_path / "out"
    hid = tmp_path / "h.npy"
    pa = ["--prompts", prompts] if prompts else []
    cli("hidden", *pa, "--out", hid, "--quiet", MODEL)
    cli("profile", *pa, "--out", out, "--format", "none", "--no-controls",
        "--boot-indices", tmp_path / "idx.npy", "--quiet", *extra, MODEL)
    H = np.load(hid).astype(np.float64)
    toks = json.load(open(str(hid)[:-4] + ".tokens.json"))["tokens"]
    rep = json.load(open(next(out.glob("anisotropy_results_*.json"))))
    idx = np.load(tmp_path / "idx.npy").astype(np.int64)
    prompt_of = np.array([t["prompt"] for t in toks])
    return H, prompt_of, rep, idx


def check(H, groups, rep, idx, tol=1e-9, with_rows=True):
    """groups[u]: the row indices of resampling unit u; rows: TwoNN is
    measured (the rows are kept)."""
    B, U = idx.shape
    iv = rep["intervals"]
    assert iv["n_boot"] == B and iv["n_units"] == U
    n_layers = H.shape[0]
    reps = np.zeros((n_layers, B, len(METRICS)))
    jack = np.zeros((n_layers, U, len(METRICS)))
    for b in range(B):
        rows = np.concatenate([groups[u] for u in idx[b]])
        for l in range(n_layers):
            m = metrics(H[l][rows])
            reps[l, b] = [m[k] for k in METRICS]
    for u in range(U):
        rows = np.concatenate([groups[k] for k in range(U) if k != u])
        for l in range(n_layers):
            m = metrics(H[l][rows])
            jack[l, u] = [m[k] for k in METRICS]
    full = [metrics(H[l]) for l in range(n_layers)]
    checked = 0
    for l in range(n_layers):
        got = iv["layers"][l]
        for k, key in enumerate(METRICS):
            v = reps[l, :, k]
            g = got[key]
            if key == "twonn_dimension" and not with_rows:
                assert g["percentile"] is None
                continue
            if np.any(np.isnan(v)):
                assert g["percentile"] is None, (l, key)
                continue
            lo, hi = percentile(v)
            scale = max(abs(lo), abs(hi), 1e-300)
            assert abs(g["percentile"][0] - lo) <= tol * scale + 1e-13, (l, key, g, lo)
            assert abs(g["percentile"][1] - hi) <= tol * scale + 1e-13, (l, key, g, hi)
            assert abs(g["se"] - np.std(v, ddof=1)) <= 1e-7 * max(g["se"], 1e-300) + 1e-13
            est = full[l][key]
            assert abs(g["basic"][0] - (2 * est - hi)) <= tol * scale + 1e-12, (l, key)
            assert abs(g["bias"] - (np.mean(v) - est)) <= 1e-7 * scale + 1e-12, (l, key)
            if iv["intervals"].startswith("percentile (numpy's linear quantiles) and BCa"):
                ref = bca(v, full[l][key], jack[l, :, k])
                # a replicate equal to the estimate (the units drawn once each)
                # falls on either side of it by rounding: BCa's bias term is
                # then not reproducible to the last bit, so it is not compared
                est = full[l][key]
                tie = np.any(np.abs(v - est) <= 1e-9 * max(abs(est), 1e-300))
                if g["bca"] is not None and np.all(np.isfinite(ref)) and not tie:
                    # BCa's quantile levels come from the estimate's rank among the
                    # replicates: equal ties aside, the same numbers
                    assert abs(g["bca"][0] - ref[0]) <= 1e-7 * scale + 1e-12, (l, key, g, ref)
                    assert abs(g["bca"][1] - ref[1]) <= 1e-7 * scale + 1e-12, (l, key, g, ref)
            checked += 1
    assert checked >= n_layers * 10
    # each replicate's profile statistics
    r = iv["replicates"]
    k_idr = METRICS.index("intrinsic_dim_ratio")
    for b in range(B):
        L, rng, mx, s1, s2 = profile_stats(reps[:, b, k_idr])
        assert r["L_star"][b] == L
        assert abs(r["profile_range"][b] - rng) <= 1e-9 * max(rng, 1e-12)
        assert abs(r["max_anisotropy"][b] - mx) <= 1e-9 * mx
        assert abs(r["phase1_slope"][b] - s1) <= 1e-9 * max(abs(s1), 1e-9) + 1e-13
        assert abs(r["phase2_slope"][b] - s2) <= 1e-9 * max(abs(s2), 1e-9) + 1e-13


def test_generator_draws(cli, tmp_path):
    prompts = write_jsonl(tmp_path / "p.jsonl", ["one two", "three four five", "six", "seven eight"])
    out = tmp_path / "o"
    cli("profile", "--prompts", prompts, "--out", out, "--format", "none", "--no-controls",
        "--boot", "30", "--seed", "12345", "--boot-indices", tmp_path / "i.npy", "--quiet", MODEL)
    idx = np.load(tmp_path / "i.npy")
    B, U = idx.shape
    assert (B, U) == (30, 4)
    r = Xoshiro(12345)
    want = np.array([[r.below(U) for _ in range(U)] for _ in range(B)])
    assert np.array_equal(idx.astype(np.int64), want)


def test_gram_route_reproduced(cli, tmp_path):
    """Fewer rows than d: each replicate from the rows' Gram matrix."""
    texts = ["The capital of France", "Water boils", "Light travels", "Cats sleep", "Rain falls",
             "Seven is prime", "Music"]
    prompts = write_jsonl(tmp_path / "p.jsonl", texts)
    H, prompt_of, rep, idx = run_case(cli, tmp_path, prompts, ["--boot", "60", "--seed", "7"])
    assert H.shape[1] < H.shape[2]  # the Gram route
    assert rep["intervals"]["unit"] == "sequence"
    groups = [np.flatnonzero(prompt_of == p) for p in range(len(texts))]
    check(H, groups, rep, idx)


def test_block_route_reproduced(cli, tmp_path):
    """More rows than d: blocks of sequences (sequence k in block k mod 8)."""
    # the notebook's 16 prompts
    H, prompt_of, rep, idx = run_case(cli, tmp_path, None, ["--boot", "40", "--boot-blocks", "8"])
    texts = range(prompt_of.max() + 1)
    assert H.shape[1] > H.shape[2]
    assert rep["intervals"]["unit"] == "block of sequences"
    groups = [np.concatenate([np.flatnonzero(prompt_of == p) for p in range(b, len(texts), 8)])
              for b in range(8)]
    check(H, groups, rep, idx, tol=1e-8, with_rows=False)


def test_api_options():
    """Model.profile's evidence options reach the report."""
    import aniso

    with aniso.Model(str(MODEL)) as m:
        r = m.profile(boot=30, seed=5, controls=False)
        assert r["intervals"]["n_boot"] == 30 and r["intervals"]["seed"] == 5
        assert "nulls" not in r and "token_controls" not in r
        assert r["without_first_token"]["why"] == "not measured"
        r = m.profile(boot=0)
        assert r["intervals"]["n_boot"] == 0 and "nulls" in r
        with pytest.raises(aniso.InvalidArgumentError):
            m.profile(boot_blocks=1)
