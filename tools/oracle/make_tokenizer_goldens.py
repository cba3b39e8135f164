"""Golden token ids for the tokenizer tests, from the `tokenizers` library.

Writes into tests/fixtures/tokenizers/ (or OUTDIR):
  corpus.jsonl            the test strings (tokenizer_corpus.py), one {"text"} per line
  NAME.tokenizer.json.xz  each tokenizer file under test (xz-compressed)
  NAME.ids.jsonl          per string, {"ids": [...]} from Tokenizer.encode(text,
                          add_special_tokens=True)
  PROVENANCE.json         versions, seeds, and where each tokenizer came from

Tokenizers: the real Gemma 3, Llama 2 and Llama 3 files (given as arguments,
from the project's shared data), and three trained here with a fixed corpus:
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
"""
import argparse
import json
import lzma
import os
import random
import sys

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gemma3", required=True)
    ap.add_argument("--llama2", required=True)
    ap.add_argument("--llama3", required=True)
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
        prov["tokenizers_under_test"][name] = {
            "source": "trained by this script" if name in trained else "published file (shared data)",
            "bytes": len(data)}
        print(name, len(data), "bytes")
    for name in trained:
        os.remove(files[name])
    os.rmdir(tmpdir)
    with open(os.path.join(args.outdir, "PROVENANCE.json"), "w") as f:
        json.dump(prov, f, indent=1)


if __name__ == "__main__":
    main()
