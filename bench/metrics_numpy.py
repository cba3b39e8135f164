"""The notebook's own metric code (section 5, compute_anisotropy_metrics,
unchanged: float32 arrays, the d x d covariance, np.linalg.eigvalsh) on
every layer of a hidden-state array; prints the best time of REPEATS.

usage: python metrics_numpy.py STATES.npy [REPEATS]
       python metrics_numpy.py --make STATES.npy  (writes a gemma-2b-shaped
       array: 19 layers x 200 tokens x 2048 dims, anisotropic, seed 0)
"""
import sys
import time

import numpy as np


def compute_anisotropy_metrics(embeddings):
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
        cos_sims = []
        for emb in embeddings:
            cos_sim = np.dot(emb, mean_vec) / (np.linalg.norm(emb) * mean_norm + 1e-10)
            cos_sims.append(cos_sim)
        avg_cos_sim = np.mean(cos_sims)
    else:
        avg_cos_sim = 0
    cumsum = np.cumsum(eigenvalues) / total_var
    var_top1 = eigenvalues[0] / total_var
    var_top10 = cumsum[min(9, len(cumsum) - 1)]
    var_top50 = cumsum[min(49, len(cumsum) - 1)]
    norms = np.linalg.norm(embeddings, axis=1)
    mean_norm_value = np.mean(norms)
    std_norm_value = np.std(norms)
    return {'eigenvalue_variance': eigenvalue_variance, 'intrinsic_dim_ratio': intrinsic_dim_ratio,
            'effective_rank': effective_rank, 'avg_cos_sim_to_mean': avg_cos_sim,
            'var_top1': var_top1, 'var_top10': var_top10, 'var_top50': var_top50,
            'mean_norm': mean_norm_value, 'std_norm': std_norm_value,
            'norm_cv': std_norm_value / mean_norm_value if mean_norm_value > 0 else 0,
            'eigenvalues': eigenvalues[:100]}


def main():
    if sys.argv[1] == "--make":
        rng = np.random.default_rng(0)
        L, n, d = 19, 200, 2048
        scales = (np.exp(-np.arange(d) / 30.0) * 10 + 0.1).astype(np.float32)
        h = np.empty((L, n, d), np.float32)
        for l in range(L):
            h[l] = rng.standard_normal((n, d), dtype=np.float32) * scales * (1 + l / 10) \
                + rng.standard_normal(d, dtype=np.float32) * 3
        np.save(sys.argv[2], h)
        return
    h = np.load(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    best = 1e30
    for _ in range(repeats):
        t0 = time.perf_counter()
        m = [compute_anisotropy_metrics(h[l]) for l in range(h.shape[0])]
        best = min(best, time.perf_counter() - t0)
    print(f"layers={h.shape[0]} tokens={h.shape[1]} dims={h.shape[2]} seconds={best:.5f} "
          f"idr0={m[0]['intrinsic_dim_ratio']:.6f}")


if __name__ == "__main__":
    main()
