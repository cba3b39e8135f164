"""Golden blocks for the dequantization tests, from the `gguf` package's own
(numpy) dequantizers, the reference that llama.cpp's Python tools use.

For each type writes tests/fixtures/quants/TYPE.bin (random blocks: random
bytes with every f16 scale field replaced by a random finite value) and
TYPE.f32 (the dequantized floats, little-endian float32).

Usage: PY=$(tools/oracle/venv.sh) && "$PY" tools/oracle/make_quant_goldens.py [OUTDIR]
"""
import json
import os
import sys

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize

SEED = 31

# type: (blocks, byte offsets of f16 scale fields within a block)
TYPES = {
    "Q4_0": (256, [0]), "Q4_1": (256, [0, 2]), "Q5_0": (256, [0]), "Q5_1": (256, [0, 2]),
    "Q8_0": (256, [0]), "Q2_K": (64, [80, 82]), "Q3_K": (64, [108]), "Q4_K": (64, [0, 2]),
    "Q5_K": (64, [0, 2]), "Q6_K": (64, [208]),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/quants"
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    info = {"script": "tools/oracle/make_quant_goldens.py", "gguf": gguf.__version__ if hasattr(gguf, "__version__") else "0.19.0",
            "numpy": np.__version__, "seed": SEED, "types": {}}
    for name, (nblocks, scale_offsets) in TYPES.items():
        qt = getattr(T, name)
        be, bb = gguf.GGML_QUANT_SIZES[qt]
        raw = rng.integers(0, 256, size=(nblocks, bb), dtype=np.uint8)
        for off in scale_offsets:
            # Finite f16 scales over a wide range, both signs, including subnormals.
            scales = (rng.standard_normal(nblocks) * np.exp(rng.uniform(-12, 4, nblocks)))
            raw[:, off:off + 2] = scales.astype(np.float16).view(np.uint8).reshape(nblocks, 2)
        floats = dequantize(raw.reshape(-1), qt).astype(np.float32).reshape(-1)
        assert floats.size == nblocks * be and np.all(np.isfinite(floats))
        raw.tofile(os.path.join(out, name + ".bin"))
        floats.astype("<f4").tofile(os.path.join(out, name + ".f32"))
        info["types"][name] = {"blocks": nblocks, "block_elems": be, "block_bytes": bb}
        print(name, nblocks, "blocks")
    with open(os.path.join(out, "PROVENANCE.json"), "w") as f:
        json.dump(info, f, indent=1)


if __name__ == "__main__":
    main()
