"""The tokenizer test corpus: hand-written strings for each pitfall, plus
strings drawn with a fixed seed from pools of scripts, symbols and spacing,
so that every tokenizer is compared on the same 450+ inputs.

Imported by make_tokenizer_goldens.py; run alone it prints the count.
"""
import random

SEED = 20260104

HAND = [
    # ASCII prose
    "The capital of France is Paris, which is known for",
    "Water boils at 100 degrees Celsius under standard",
    "If all mammals are warm-blooded and whales are mammals, then",
    "Hello! How are you doing today? I hope you're having",
    "Once upon a time in a faraway kingdom, there lived",
    "I'M SURE THEY'LL SAY IT'S FINE, BUT WE'VE SEEN WHAT'D HAPPEN.",
    "i'm sure they'll say it's fine, but we've seen what'd happen.",
    "Don't, won't, can't, shouldn't've, y'all'd've",
    "A",
    "a b c d e f g",
    "",
    " ",
    # code
    "def f(x):\n    return x ** 2  # square\n",
    "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }",
    "const re = /^[a-z0-9_-]{3,16}$/i; console.log(re.test('user_01'));",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); }",
    "x = {'a': [1, 2, 3], \"b\": None}\tprint(x)",
    "<div class=\"row\"><span id='x'>&amp;&lt;&gt;</span></div>",
    "fn main() -> Result<(), Box<dyn Error>> { Ok(()) }",
    # punctuation runs
    "!!!???...,,,;;;:::---___+++===***&&&|||",
    "Wait... what?!?! No way!!!",
    "(((nested [brackets {and} braces])))",
    "«quotes» „German“ “curly” ‘single’ — en–dash … ellipsis",
    "@user #hashtag $100 %50 ^caret ~tilde `backtick`",
    # spacing
    "  leading spaces",
    "trailing spaces   ",
    "multiple    internal     spaces",
    "\ttab\tseparated\tvalues\t",
    "line one\nline two\n\nline four",
    "windows\r\nline\r\nendings",
    "   \n\t  \n",
    "a  b   c    d     e      f       g        h",
    "\n\n\n",
    " \t \t ",
    "word\u00a0with\u00a0nbsp",
    "em\u2003space and\u2009thin\u200bzero width",
    "ideographic\u3000space",
    "x\u0085next line\u2028line sep\u2029para sep",
    "\x0b\x0c\x1c\x1d\x1e\x1f controls",
    # digits
    "12345",
    "3.14159265358979323846264338327950288419716939937510",
    "1,234,567.89 and 1 234 567,89 and 1_234_567",
    "Call 555-0123 or +1 (800) 555-0199 before 2026-01-04T12:00:00Z",
    "0x7fffffff 0b1010 1e-10 6.022e23",
    "٠١٢٣٤٥٦٧٨٩ ०१२३४५६७८९ ①②③ ½ ¾ Ⅻ",
    "99999999999999999999999999999999999999999999999999",
    # accents and combining characters that NFC changes
    "café",
    "cafe\u0301",
    "naïve résumé coöperate",
    "nai\u0308ve re\u0301sume\u0301",
    "Ångström \u212bngstr\u00f6m A\u030angstro\u0308m",
    "ﬁ ﬂ ﬀ ligatures and ｆｕｌｌｗｉｄｔｈ",
    "Ǆ ǅ ǆ İstanbul ıi ß ẞ",
    "e\u0301\u0302\u0303 stacked marks",
    "Zalgo: Z\u0351\u036b\u0343a\u0357\u0351l\u0301\u0350g\u0362o\u0315",
    "Ｈｅｌｌｏ，　ｗｏｒｌｄ！",
    "㍻ ㎏ ㌔ ℡ ™ №",
    # CJK
    "你好，世界！今天天气很好。",
    "日本語のテキストです。カタカナとひらがな。",
    "한국어 텍스트입니다. 안녕하세요!",
    "漢字かな交じり文と English mixed 中文",
    "𠀀𠀁𠀂 CJK extension B",
    # Arabic, Hebrew, Devanagari, others
    "مرحبا بالعالم! كيف حالك؟",
    "السَّلَامُ عَلَيْكُمْ",
    "שלום עולם",
    "नमस्ते दुनिया। आप कैसे हैं?",
    "क्षत्रिय ज्ञान श्री",
    "Привет, мир! Как дела?",
    "Γειά σου Κόσμε! Αλφάβητο ΑΒΓΔ",
    "สวัสดีชาวโลก",
    "ሰላም ዓለም",
    "Բարեւ աշխարհ",
    "ᚠᚢᚦᚨᚱᚲ runes",
    # emoji
    "🤖",
    "I love 🍕 and 🍣!",
    "👨‍👩‍👧‍👦 family",
    "👍🏻👍🏼👍🏽👍🏾👍🏿",
    "🏳️‍🌈 🏴‍☠️ 🇩🇪🇯🇵🇺🇸",
    "🧑🏽‍💻 technologist, 👩🏿‍🚀 astronaut",
    "❤️ ❤ ♥️ ☺️ ✌️",
    "😀😃😄😁😆😅🤣😂🙂🙃😉😊😇",
    # characters absent from most vocabularies
    "\ue000\ue001 private use",
    "𐀀𐀁 Linear B",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕸𝖆𝖙𝖍",
    "\U0001f9ff\U0001fa90 newer emoji",
    "\u0000null\u0001start",
    "\ufeffBOM at start",
    "replacement \ufffd char",
    # special tokens written inside text
    "<bos>Hello",
    "Hello<eos>",
    "<s>Hello</s>",
    "<unk> token",
    "text <|endoftext|> more text",
    "<|begin_of_text|>Hi<|end_of_text|>",
    "<|padding|><|padding|>",
    "[CLS] sentence [SEP]",
    "<mask> is a <mask>",
    "<start_of_turn>user\nHi<end_of_turn>",
    "a<bos>b<bos>c",
    "  <s>  spaced  </s>  ",
    "<bos><bos><bos>",
    "<bo s> not a token <bos",
    "Hello world",
    " Hello world",
    "Hello  world",
    "Hello\nworld",
]


def long_word():
    """A 20,000-character word (no spaces), built to exercise many merges."""
    rng = random.Random(SEED + 1)
    syll = ["an", "ti", "dis", "es", "tab", "lish", "ment", "ar", "ian", "ism", "pro", "con"]
    out = []
    while sum(map(len, out)) < 20000:
        out.append(rng.choice(syll))
    return "".join(out)[:20000]


POOLS = {
    "ascii": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "digits": "0123456789",
    "punct": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "space": [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000"],
    "latin": "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿœšžł",
    "cjk": "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年",
    "kana": "あいうえおかきくけこアイウエオカキクケコ",
    "hangul": "가나다라마바사아자차카타파하",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "devanagari": "कखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसह",
    "cyrillic": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "emoji": ["😀", "🎉", "👍🏽", "👨‍💻", "🇫🇷", "❤️", "🙏", "🤖", "🧠", "🌍"],
    "combining": ["e\u0301", "a\u0308", "o\u0302", "n\u0303", "c\u0327"],
    "rare": ["\ue000", "𐀀", "𝔘", "\U0001f9ff", "𠀀", "ᚠ", "ꙮ"],
    "special": ["<bos>", "<s>", "</s>", "<|endoftext|>", "<|begin_of_text|>", "[CLS]", "<mask>"],
}


def word(rng, pool):
    items = POOLS[pool]
    n = rng.randint(1, 8)
    return "".join(rng.choice(items) for _ in range(n))


def generated(n):
    rng = random.Random(SEED)
    names = list(POOLS)
    out = []
    for _ in range(n):
        k = rng.randint(1, 12)
        parts = []
        for _ in range(k):
            pool = rng.choice(names)
            if pool == "space":
                parts.append(rng.choice(POOLS["space"]))
            else:
                parts.append(word(rng, pool))
                if rng.random() < 0.7:
                    parts.append(" ")
        out.append("".join(parts))
    return out


def corpus():
    return HAND + [long_word()] + generated(350)


if __name__ == "__main__":
    c = corpus()
    print(len(c), "strings,", sum(map(len, c)), "characters")
