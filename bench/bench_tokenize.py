"""The tokenizers library's side of the tokenizer benchmark: encodes every
line of TEXT_FILE with Tokenizer.encode (one line at a time, one thread, as
bench_tokenize does) and prints the same one-line summary. Also reports
encode_batch (the library's own multi-threaded path) for reference.

usage: python bench_tokenize.py TOKENIZER.json TEXT_FILE [REPEATS]
"""
import os
import sys
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
from tokenizers import Tokenizer  # noqa: E402


def main():
    path, text_file = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    tk = Tokenizer.from_file(path)
    with open(text_file, "rb") as f:
        raw = f.read()
    lines = raw.decode("utf-8").split("\n")
    if raw.endswith(b"\n"):
        lines.pop()
    best, ntok = 1e30, 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        ntok = sum(len(tk.encode(line).ids) for line in lines)
        best = min(best, time.perf_counter() - t0)
    bbest = 1e30
    for _ in range(repeats):
        t0 = time.perf_counter()
        tk.encode_batch(lines)
        bbest = min(bbest, time.perf_counter() - t0)
    print(f"tokens={ntok} bytes={len(raw)} seconds={best:.4f} tokens_per_second={ntok / best:.0f} "
          f"batch_seconds={bbest:.4f} batch_tokens_per_second={ntok / bbest:.0f}")


if __name__ == "__main__":
    main()
