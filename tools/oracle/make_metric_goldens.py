"""Expected metrics and profile analyses, from the notebook's own formulas
evaluated in float64 with numpy and scipy (scipy.stats.linregress).

Writes into tests/fixtures/metrics/ (or OUTDIR):
  NAME.npy       float32 matrices (tokens x dims) to measure
  expected.json  per matrix, every metric of docs/METRICS.md section 2; per
                 profile, every field of the analysis of section 3

The metric function is the notebook's compute_anisotropy_metrics with the
matrix upcast to float64 first (docs/METRICS.md: float64 arithmetic), so the
covariance route is used for every shape: the C code's Gram route for
n < d is checked against it.

Usage: PY=$(tools/oracle/venv.sh) && "$PY" tools/oracle/make_metric_goldens.py [OUTDIR]
"""
import json
import os
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

SEED = 77


def notebook_metrics(embeddings):
    """The notebook's compute_anisotropy_metrics, in float64."""
    embeddings = embeddings.astype(np.float64)
    centered = embeddings - embeddings.mean(axis=0)
    n_samples = embeddings.shape[0]
    cov = (centered.T @ centered) / (n_samples - 1)
    eigenvalues = np.linalg.eigvalsh(cov)
    eigenvalues = np.sort(eigenvalues)[::-1]
    eigenvalues = np.maximum(eigenvalues, 1e-10)
    eigenvalue_variance = np.var(eigenvalues)
    total_var = eigenvalues.sum()
    intrinsic_dim_ratio = eigenvalues[0] / total_var if total_var > 0 else 0
    normalized = eigenvalues / total_var
    entropy = -np.sum(normalized * np.log(normalized + 1e-10))
    effective_rank = np.exp(entropy)
    mean_vec = embeddings.mean(axis=0)
    mean_norm = np.linalg.norm(mean_vec)
    if mean_norm > 1e-10:
        cos_sims = [np.dot(e, mean_vec) / (np.linalg.norm(e) * mean_norm + 1e-10) for e in embeddings]
        avg_cos_sim = np.mean(cos_sims)
    else:
        avg_cos_sim = 0
    cumsum = np.cumsum(eigenvalues) / total_var
    norms = np.linalg.norm(embeddings, axis=1)
    mean_norm_value, std_norm_value = np.mean(norms), np.std(norms)
    return {
        "eigenvalue_variance": float(eigenvalue_variance),
        "intrinsic_dim_ratio": float(intrinsic_dim_ratio),
        "effective_rank": float(effective_rank),
        "avg_cos_sim_to_mean": float(avg_cos_sim),
        "var_top1": float(eigenvalues[0] / total_var),
        "var_top10": float(cumsum[min(9, len(cumsum) - 1)]),
        "var_top50": float(cumsum[min(49, len(cumsum) - 1)]),
        "mean_norm": float(mean_norm_value),
        "std_norm": float(std_norm_value),
        "norm_cv": float(std_norm_value / mean_norm_value if mean_norm_value > 0 else 0),
        "eigenvalues": [float(x) for x in eigenvalues[:100]],
    }


def family_metrics(embeddings):
    """The wider metric family (docs/METRICS.md section 2.3), each from its
    own definition: eigenvalues of numpy's covariance, singular values of
    the centred matrix by SVD, cosines of every pair, distances by scipy."""
    X = embeddings.astype(np.float64)
    n, d = X.shape
    cov = np.atleast_2d(np.cov(X, rowvar=False, ddof=1))
    lam = np.maximum(np.sort(np.linalg.eigvalsh(cov))[::-1], 1e-10)
    total = lam.sum()
    pr = total ** 2 / np.sum(lam ** 2)
    # RankMe: the min(n, d) singular values of the centred matrix, each as
    # sqrt of its clamped covariance eigenvalue s^2 / (n - 1)
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    s = np.sqrt(np.maximum(np.sort(s)[::-1] ** 2 / (n - 1), 1e-10))
    q = s / s.sum() + 1e-7
    # cosines of every pair of distinct rows; a zero row has cosine 0
    norms = np.linalg.norm(X, axis=1)
    U = np.where(norms[:, None] > 0, X / np.where(norms > 0, norms, 1)[:, None], 0.0)
    cos = U @ U.T
    mpc = (cos.sum() - np.trace(cos)) / (n * (n - 1))
    # TwoNN on the distinct rows: r2 / r1 of each point's two nearest others
    P = np.unique(embeddings, axis=0).astype(np.float64)
    twonn = None
    if len(P) >= 3:
        D = distance.cdist(P, P)
        np.fill_diagonal(D, np.inf)
        D.sort(axis=1)
        if np.all(D[:, 0] > 0):
            sl = np.sum(np.log(D[:, 1] / D[:, 0]))
            twonn = float((len(P) - 1) / sl) if sl > 0 else None
    return {
        "participation_ratio": float(pr),
        "isoscore": float((pr - 1) / (d - 1)) if d > 1 else 0.0,
        "stable_rank": float(total / lam[0]),
        "rankme": float(np.exp(-np.sum(q * np.log(q)))),
        "mean_pairwise_cosine": float(mpc),
        "twonn_dimension": twonn,
    }


def notebook_analysis(values, ref_range=0.934):
    """The notebook's L* and analyze_bell_curve, plus the flatness test."""
    values = np.array(values, dtype=np.float64)
    L_star = int(np.argmax(values))
    out = {"L_star": L_star}
    for k, phase in (("phase1", values[:L_star]), ("phase2", values[L_star:])):
        if len(phase) > 1:
            res = stats.linregress(range(len(phase)), phase)
            r, p = float(res.rvalue), float(res.pvalue)
            # docs/METRICS.md: r = 0 when either variance is 0 (older scipy's rule);
            # scipy 1.17 returns nan there instead, and then t = 0 gives p = 1.
            if np.isnan(r):
                r = 0.0
                p = p if len(phase) == 2 else 1.0
            out[k] = {"slope": float(res.slope), "intercept": float(res.intercept), "r": r, "p": p}
        else:
            out[k] = {"slope": 0.0, "intercept": 0.0, "r": 0.0, "p": 1.0}
    rng = float(np.max(values) - np.min(values))
    L = len(values) - 1
    out.update({
        "is_bell_curve": bool(out["phase1"]["slope"] > 0 and out["phase2"]["slope"] < 0),
        "profile_variance": float(np.var(values)),
        "profile_range": rng,
        "max_anisotropy": float(values[L_star]),
        "is_flatter": bool(rng < ref_range),
        "flatness_percent": float((ref_range - rng) / ref_range * 100),
        "spectrum_layers": [0, L_star // 2, L_star, (L_star + L) // 2, L],
    })
    return out


def matrices():
    rng = np.random.default_rng(SEED)

    def aniso(n, d, offset=3.0):
        scales = np.exp(-np.arange(d) / 4.0) * 5 + 0.1
        return (rng.standard_normal((n, d)) * scales + offset * rng.standard_normal(d)).astype(np.float32)

    yield "n_lt_d", aniso(20, 64)
    yield "n_gt_d", aniso(100, 32)
    yield "n_eq_d", aniso(48, 48)
    yield "two_tokens", aniso(2, 16)
    yield "wide", aniso(12, 300)  # more than 100 eigenvalues, most exactly zero
    yield "bos_outlier", np.vstack([aniso(1, 40, 0.0) * 200, aniso(30, 40)]).astype(np.float32)
    row = rng.standard_normal(16).astype(np.float32)
    yield "identical_rows", np.tile(row, (10, 1))
    yield "all_zero", np.zeros((8, 12), np.float32)
    yield "rank_one", (np.outer(rng.standard_normal(25), rng.standard_normal(10))).astype(np.float32)
    # repeated rows among distinct ones (TwoNN collapses them), and a zero row
    base = aniso(15, 24)
    yield "duplicates", np.vstack([base, base[:5], np.zeros((1, 24), np.float32)]).astype(np.float32)


def profiles():
    rng = np.random.default_rng(SEED + 1)
    yield "bell", [0.1, 0.3, 0.55, 0.8, 0.95, 0.9, 0.7, 0.5, 0.2]
    yield "lstar_zero", [0.9, 0.8, 0.6, 0.5, 0.3]
    yield "lstar_last", [0.1, 0.2, 0.4, 0.45, 0.7]
    yield "two_point_phase1", [0.2, 0.4, 0.9, 0.6, 0.5, 0.4]
    yield "two_point_phase2", [0.1, 0.3, 0.5, 0.9, 0.7]
    yield "two_point_equal", [0.5, 0.5, 0.9, 0.9, 0.2]
    yield "tie_first", [0.2, 0.8, 0.3, 0.8, 0.1]
    yield "constant", [0.4] * 6
    yield "random19", [float(x) for x in rng.uniform(0.2, 1.0, 19)]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/metrics"
    os.makedirs(out, exist_ok=True)
    exp = {"script": "tools/oracle/make_metric_goldens.py", "numpy": np.__version__,
           "scipy": scipy.__version__, "seed": SEED, "matrices": {}, "profiles": {}}
    for name, m in matrices():
        np.save(os.path.join(out, name + ".npy"), m)
        exp["matrices"][name] = {"file": name + ".npy", "n": m.shape[0], "d": m.shape[1],
                                 "metrics": {**notebook_metrics(m), **family_metrics(m)}}
    for name, v in profiles():
        exp["profiles"][name] = {"values": v, "analysis": notebook_analysis(v)}
    # The published results' profiles (Pythia-6.9B, Gemma-2B), analysed the same way.
    here = os.path.dirname(os.path.abspath(__file__))
    for f in ("anisotropy_results_pythia.json", "anisotropy_results_gemma.json"):
        p = os.path.join(here, "..", "..", "tests", "fixtures", "results", f)
        v = json.load(open(p))["intrinsic_dim_ratio"]
        exp["profiles"][f] = {"values": v, "analysis": notebook_analysis(v)}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1)
    print(len(exp["matrices"]), "matrices,", len(exp["profiles"]), "profiles")


if __name__ == "__main__":
    main()
