import pytest

from rnnlab.data import simple_detokenize, simple_tokenize, tokenize_english


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("I don't know.", ["I", "do", "n't", "know", "."]),
        ("We can't, won't, cannot!", ["We", "ca", "n't", ",", "wo", "n't", ",", "can", "not", "!"]),
        ("I'm sure they're John's.", ["I", "'m", "sure", "they", "'re", "John", "'s", "."]),
        ("Don’t", ["Do", "n’t"]),
        (
            "It costs $3.50, i.e. 1,000 cents.",
            ["It", "costs", "$", "3.50", ",", "i.e.", "1,000", "cents", "."],
        ),
        (
            "Mr. Smith met Dr. Jones in the U.S.",
            ["Mr.", "Smith", "met", "Dr.", "Jones", "in", "the", "U.S."],
        ),
        ('He said "yes" (twice)...', ["He", "said", '"', "yes", '"', "(", "twice", ")", "..."]),
        ("50% of dogs' bowls", ["50", "%", "of", "dogs", "'", "bowls"]),
        ("a well-known e-mail", ["a", "well", "-", "known", "e-mail"]),
        (
            "mail bob@example.com or see http://x.org/a.",
            ["mail", "bob@example.com", "or", "see", "http://x.org/a", "."],
        ),
        ("on 9/11 at 10:30", ["on", "9/11", "at", "10:30"]),
        ("Wow!!! -- ok", ["Wow", "!!!", "--", "ok"]),
        ("it 's", ["it", "'s"]),
        ("", []),
    ],
)
def test_english_tokenizer(text, tokens):
    assert tokenize_english(text) == tokens


@pytest.mark.parametrize(
    "text",
    [
        "Two young, White males are outside near many bushes.",
        "A man's dog doesn't say \"hi\" -- or does it?",
        "Ein Mann im T-Shirt sagt: „Hallo“ (z.B. heute).",
        "It costs $5.50 and/or 3,000 € (roughly)!",
        "Wait... what?",
    ],
)
def test_simple_tokenizer_round_trips(text):
    tokens = simple_tokenize(text)
    assert simple_detokenize(tokens) == text


def test_simple_tokenizer_splits_punctuation_and_lowercases():
    assert simple_tokenize("Hello, World! 3.5 km.", lower=True) == [
        "hello",
        ",",
        "world",
        "!",
        "3.5",
        "km",
        ".",
    ]
    assert simple_tokenize("Zwei Männer, lächelnd.") == ["Zwei", "Männer", ",", "lächelnd", "."]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Two welders' masks.", ["Two", "welders'", "masks", "."]),
        ("on #19 today", ["on", "#", "19", "today"]),
        ("salt &amp; pepper", ["salt", "&amp;", "pepper"]),
    ],
)
def test_simple_tokenizer_web_text_round_trips(text, tokens):
    assert simple_tokenize(text) == tokens
    assert simple_detokenize(tokens) == text
