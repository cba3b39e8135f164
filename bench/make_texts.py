"""Benchmark texts, 1 MB each, written to OUTDIR (default bench/data):
  english.txt  English prose: the docstrings of Python's standard library,
               one paragraph per line, in a fixed order
  mixed.txt    mixed-script text (Latin, CJK, Arabic, Devanagari, Cyrillic,
               emoji, digits, punctuation) drawn with a fixed seed
"""
import ast
import os
import random
import sys
import sysconfig

SIZE = 1 << 20


def english():
    root = sysconfig.get_paths()["stdlib"]
    out, total = [], 0
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        dirnames[:] = sorted(d for d in dirnames if d not in ("test", "tests", "site-packages"))
        for fn in sorted(filenames):
            if not fn.endswith(".py"):
                continue
            try:
                tree = ast.parse(open(os.path.join(dirpath, fn), encoding="utf-8").read())
            except (SyntaxError, UnicodeDecodeError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)):
                    doc = ast.get_docstring(node)
                    if not doc:
                        continue
                    for para in doc.split("\n\n"):
                        para = " ".join(para.split())
                        if len(para) > 40:
                            out.append(para)
                            total += len(para.encode()) + 1
                            if total >= SIZE:
                                return out
    return out


def mixed():
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools", "oracle"))
    from tokenizer_corpus import POOLS
    rng = random.Random(7)
    names = [p for p in POOLS if p not in ("special", "space")]
    out, total = [], 0
    while total < SIZE:
        words = []
        for _ in range(rng.randint(5, 30)):
            items = POOLS[rng.choice(names)]
            words.append("".join(rng.choice(items) for _ in range(rng.randint(1, 8))))
        line = " ".join(words)
        out.append(line)
        total += len(line.encode()) + 1
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "bench/data"
    os.makedirs(outdir, exist_ok=True)
    for name, lines in (("english", english()), ("mixed", mixed())):
        data = ("\n".join(lines) + "\n").encode()[:SIZE]
        data = data[: data.rfind(b"\n") + 1]
        with open(os.path.join(outdir, name + ".txt"), "wb") as f:
            f.write(data)
        print(name, len(data), "bytes,", data.count(b"\n"), "lines")


if __name__ == "__main__":
    main()
