#!/usr/bin/env python3
"""Writes small tokenizer.json seeds for fuzz/fuzz_tokenizer.c.

Each seed is one byte 0x00 (the target reads the rest as tokenizer.json)
followed by a compact JSON of a few hundred bytes: one per component the
loader knows, each under 768 bytes (scripts/fuzz.sh's -max_len), so that
the fuzzer runs fast (>= 10k execs/s) and still
reaches every branch. The text seeds (textNNN, first byte 0x01 or 0x03:
the target's first or second built-in tokenizer) are kept as they are and
each gets a twin for the other tokenizer. Run from the repository root:
    python3 tools/fuzz/make_tokenizer_seeds.py fuzz/seeds/tokenizer
"""
import json
import sys
from pathlib import Path

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def vocab(extra=(), byte_tokens=False):
    v = {}
    for t in extra:
        v.setdefault(t, len(v))
    if byte_tokens:  # a few: the others fall back to the unknown token
        for b in (0x20, 0x41, 0x42, 0xC3, 0xA9, 0xE2, 0x96, 0x81):
            v["<0x%02X>" % b] = len(v)
    for c in LETTERS[:5] + "th" + "\u2581" + "\u0120":
        v.setdefault(c, len(v))
    for t in ["ab", "abc", "th", "the", "\u2581t", "\u0120t"]:
        v.setdefault(t, len(v))
    return v


MERGES = ["a b", "ab c", "t h", "th e", "\u2581 t", "\u0120 t"]


def bpe(**kw):
    m = {"type": "BPE", "vocab": vocab(kw.pop("extra", ()), kw.pop("bytes", False)),
         "merges": kw.pop("merges", MERGES)}
    m.update(kw)
    return m


def tok(model, normalizer=None, pre=None, post=None, decoder=None, added=()):
    return {"version": "1.0", "added_tokens": list(added), "normalizer": normalizer,
            "pre_tokenizer": pre, "post_processor": post, "decoder": decoder, "model": model}


SPECIAL = [{"id": 0, "content": "<s>", "special": True, "normalized": False},
           {"id": 1, "content": "<mask>", "special": True, "lstrip": True, "rstrip": True,
            "normalized": False, "single_word": True}]

SEEDS = {
    "bytelevel": tok(bpe(extra=["<s>", "<mask>"]), pre={"type": "ByteLevel", "add_prefix_space": True,
                                                        "use_regex": True},
                     post={"type": "ByteLevel", "trim_offsets": True}, added=SPECIAL),
    "bytelevel-noregex": tok(bpe(), pre={"type": "ByteLevel", "add_prefix_space": False,
                                         "use_regex": False}),
    "metaspace-fallback": tok(bpe(extra=["<unk>", "<s>"], bytes=True, unk_token="<unk>",
                                  fuse_unk=True, byte_fallback=True),
                              normalizer={"type": "Sequence", "normalizers": [
                                  {"type": "Prepend", "prepend": "\u2581"},
                                  {"type": "Replace", "pattern": {"String": " "},
                                   "content": "\u2581"}]}),
    "metaspace-pre": tok(bpe(extra=["<unk>"], unk_token="<unk>"),
                         pre={"type": "Metaspace", "replacement": "\u2581",
                              "prepend_scheme": "first", "split": True}),
    "normalizers": tok(bpe(), normalizer={"type": "Sequence", "normalizers": [
        {"type": "NFKC"}, {"type": "Lowercase"}, {"type": "Strip", "strip_left": True,
                                                  "strip_right": True},
        {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}]}),
    "normalizers-nf": tok(bpe(), normalizer={"type": "Sequence", "normalizers": [
        {"type": "NFD"}, {"type": "NFKD"}, {"type": "NFC"}]}),
    "pretok-seq": tok(bpe(), pre={"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "Punctuation", "behavior": "Isolated"},
        {"type": "Whitespace"}]}),
    "pretok-split": tok(bpe(), pre={"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": "(?i:ab|c)"}, "behavior": "Contiguous",
         "invert": True},
        {"type": "Split", "pattern": {"String": "e"}, "behavior": "MergedWithPrevious",
         "invert": False},
        {"type": "Split", "pattern": {"String": "h"}, "behavior": "Removed", "invert": False},
        {"type": "WhitespaceSplit"}]}),
    "template": tok(bpe(extra=["<s>", "</s>"]), pre={"type": "Whitespace"},
                    post={"type": "TemplateProcessing",
                          "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                     {"Sequence": {"id": "A", "type_id": 0}},
                                     {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                          "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                                             "</s>": {"id": "</s>", "ids": [1],
                                                      "tokens": ["</s>"]}}},
                    added=[{"id": 0, "content": "<s>", "special": True},
                           {"id": 1, "content": "</s>", "special": True}]),
    "roberta": tok(bpe(extra=["<s>", "</s>"]), pre={"type": "ByteLevel", "add_prefix_space": False},
                   post={"type": "RobertaProcessing", "sep": ["</s>", 1], "cls": ["<s>", 0],
                         "trim_offsets": True, "add_prefix_space": False}),
    "bert": tok(bpe(extra=["[CLS]", "[SEP]"]), pre={"type": "Whitespace"},
                post={"type": "BertProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 0]}),
    "merges-pairs": tok(bpe(merges=[["a", "b"], ["ab", "c"], ["t", "h"], ["th", "e"]],
                            ignore_merges=True, dropout=None, continuing_subword_prefix=None,
                            end_of_word_suffix=None)),
    "added-normalized": tok(bpe(extra=["  ", "xy"]), normalizer={"type": "Lowercase"},
                            added=[{"id": 0, "content": "  ", "special": False,
                                    "normalized": True},
                                   {"id": 1, "content": "xy", "special": False,
                                    "normalized": True, "lstrip": True}]),
}


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, obj in SEEDS.items():
        body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        (out / (name + ".json")).write_bytes(b"\x00" + body)
    for p in sorted(out.glob("text[0-9][0-9][0-9]")):
        b = p.read_bytes()
        if b[:1] == b"\x01":
            (out / (p.name + "-b")).write_bytes(b"\x03" + b[1:])


if __name__ == "__main__":
    main()
