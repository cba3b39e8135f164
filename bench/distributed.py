#!/usr/bin/env python3
"""The tables of docs/DISTRIBUTED.md: memory per rank, traffic into rank 0
and reduction time against compute time for aniso's MPI reduction, from the
model shapes and the byte counts of src/analysis/moments.c,
src/model/forward.c and src/pipeline/profile.c. Arithmetic only.
    python3 bench/distributed.py
"""
import math

GB = 1e9
CHUNK = 4096  # tokens per forward chunk (profile.c DEFAULT_CHUNK)
BLOCK = 256  # rows centred at a time (moments.c): BLOCK x d doubles per layer
CTX = 512  # corpus window (profile.c default)
TOKENS = (10e6, 1e9)
RANKS = (8, 32, 128, 512)
LINKS = (("10 Gb/s", 1.25 * GB), ("10 GB/s", 10 * GB), ("100 Gb/s", 12.5 * GB))
CPU, GPU = 1e12, 100e12  # FLOP/s per rank (assumed)
MERGE = 1.0 * GB  # rank 0's read + merge, bytes of wire per second (measured, see the doc)

# name, d, blocks, heads, head dim, kv heads, d_ff, vocab, fused qkv + biases (NeoX), tied
MODELS = (
    ("Gemma-2B", 2048, 18, 8, 256, 1, 16384, 256000, False, True),
    ("Gemma-7B", 3072, 28, 16, 256, 16, 24576, 256000, False, True),
    ("Pythia-6.9B", 4096, 32, 32, 128, 32, 16384, 50432, True, False),
)


def params(d, L, nh, dh, nkv, F, V, neox, tied):
    """(all, non-embedding) parameters."""
    q, kv = nh * dh, nkv * dh
    attn = d * q + 2 * d * kv + q * d
    mlp = (2 if neox else 3) * d * F
    vec = (2 * (3 * q + d + F + d) + 4 * d) if neox else 2 * d  # biases, norms
    blocks = L * (attn + mlp + vec) + (2 * d if neox else d)
    emb = V * d * (1 if tied else 2)
    return blocks + emb, blocks


def wire_bytes(d):
    """aniso_moments_write, moments regime: header, mean, unit, norms, upper M2."""
    return 24 + 8 * (2 * d + 2 + d * (d + 1) // 2)


def state_bytes(d, nh, dh, nkv, F, neox):
    """aniso_state_new for CHUNK tokens, plus the chunk's rows (profile.c)."""
    T, Q, KV = CHUNK, nh * dh, nkv * dh
    floats = 4 * T * d + 2 * T * Q + 2 * T * KV + (3 * T * Q if neox else 0) + 2 * T * F
    n_in = max(d, F, Q)  # the converted weight block: ~32 MiB + padded rows
    floats += (32 << 20) // 4 + 256 * (n_in + max(d, F, 3 * Q)) + 128 * CTX
    return 4 * (floats + T * d)


def main():
    rows = []
    for name, d, L, nh, dh, nkv, F, V, neox, tied in MODELS:
        H = L + 1
        p_all, p_ne = params(d, L, nh, dh, nkv, F, V, neox, tied)
        S = wire_bytes(d)
        layer = 8 * (d * d + 2 * d + BLOCK * d)  # one measured layer's statistics
        extra0 = S + 8 * (d * d + 3 * d)  # received message + its unpacked copy (+ delta)
        send = 65536 << max(0, math.ceil(math.log2(S / 65536)))  # membuf, doubled
        flop = 2 * p_ne
        rows.append((name, d, H, p_all, p_ne, S, layer, extra0, send, flop))

    print("## Shapes\n")
    print("| model | d | H | params | non-emb. | FLOP/token | stats FLOP/token (fp64) | wire/layer |")
    print("| --- | --: | --: | --: | --: | --: | --: | --: |")
    for name, d, H, p_all, p_ne, S, layer, extra0, send, flop in rows:
        print(f"| {name} | {d} | {H} | {p_all/1e9:.3f}e9 | {p_ne/1e9:.3f}e9 | {flop/1e9:.2f}e9 "
              f"| {H*d*d/1e9:.3f}e9 ({100*H*d*d/flop:.1f}%) | {S/1e6:.1f} MB |")

    print("\n## Memory per rank (GB)\n")
    print("| model | weights (bf16 map) | forward state | statistics (H layers) | "
          "rank 0 extra | rank > 0 extra | rank > 0 | rank 0 |")
    print("| --- | --: | --: | --: | --: | --: | --: | --: |")
    for (name, d, H, p_all, p_ne, S, layer, extra0, send, flop), m in zip(rows, MODELS):
        w, st = 2 * p_all, state_bytes(d, *m[3:7], m[8])
        base = w + st + H * layer
        print(f"| {name} | {w/GB:.2f} | {st/GB:.2f} | {H*layer/GB:.2f} | {extra0/GB:.2f} "
              f"| {send/GB:.2f} | {(base+send)/GB:.1f} | {(base+extra0)/GB:.1f} |")

    print("\n## Traffic into rank 0 and reduction time (s) against compute time (s)\n")
    hdr = " | ".join(f"wire @{n}" for n, _ in LINKS)
    print(f"| model | N | into rank 0 (GB) | {hdr} | as built @100 Gb/s | "
          "CPU 10M | CPU 1B | GPU 10M | GPU 1B |")
    print("| --- | --: | --: |" + " --: |" * (len(LINKS) + 5))
    for name, d, H, p_all, p_ne, S, layer, extra0, send, flop in rows:
        for N in RANKS:
            t = (N - 1) * H * S
            wire = " | ".join(f"{t/b:.2f}" for _, b in LINKS)
            built = t / LINKS[-1][1] + t / MERGE
            comp = [T * flop / (N * R) for R in (CPU, GPU) for T in TOKENS]
            print(f"| {name} | {N} | {t/GB:.1f} | {wire} | {built:.1f} | "
                  + " | ".join(f"{c:.0f}" if c >= 10 else f"{c:.2f}" for c in comp) + " |")

    print("\n## Ranks N at which the reduction takes as long as the compute: "
          "N (N - 1) = T F B / (R H S); wire @100 Gb/s / as built (1/B + 1/M)\n")
    print("| model | CPU, 10M tokens | CPU, 1B | GPU, 10M | GPU, 1B |")
    print("| --- | --: | --: | --: | --: |")
    for name, d, H, p_all, p_ne, S, layer, extra0, send, flop in rows:
        cells = []
        for R in (CPU, GPU):
            for T in TOKENS:
                out = []
                for B in (LINKS[-1][1], 1 / (1 / LINKS[-1][1] + 1 / MERGE)):
                    k = T * flop * B / (R * H * S)
                    out.append((1 + math.sqrt(1 + 4 * k)) / 2)
                cells.append(f"{out[0]:,.0f} / {out[1]:,.0f}")
        print(f"| {name} | " + " | ".join(cells) + " |")

    print("\n## What to change: bytes into the busiest rank (GB) and time (s) @100 Gb/s, "
          "wire only / with merge at M\n")
    print("| model | N | ordered gather (now) | fixed binary tree | reduce-scatter by layer "
          "| by layer and tile |")
    print("| --- | --: | --: | --: | --: | --: |")
    B = LINKS[-1][1]
    for name, d, H, p_all, p_ne, S, layer, extra0, send, flop in rows:
        for N in (32, 128, 512):
            ways = ((N - 1) * H * S,  # rank 0 gets every layer of every rank
                    math.ceil(math.log2(N)) * H * S,  # log2 N rounds, H layers each
                    (N - 1) * math.ceil(H / N) * S,  # an owner gets its layers from all
                    # ring reduce-scatter of 1/N tiles (+ the mean with each), then each
                    # layer's tiles to its owner
                    H * ((N - 1) / N * S + (N - 1) * 16 * d) + S)
            print(f"| {name} | {N} | " + " | ".join(
                f"{t/GB:.1f}: {t/B:.2f} / {t/B + t/MERGE:.1f}" for t in ways) + " |")


if __name__ == "__main__":
    main()
