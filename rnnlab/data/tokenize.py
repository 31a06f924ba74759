"""Rule-based tokenizers: a simple reversible one for translation and an English one for
tagging plain text the way UD/PTB tokenizes (``don't`` -> ``do n't``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

# --- simple tokenizer (translation) -------------------------------------------------------

_SIMPLE_TOKEN = re.compile(
    r"""
    &(?:\w+|\#\d+);               # HTML entities as they appear in web text: &amp; &#39;
  | \w+s'(?=\s|$)                 # plural possessives: welders' (the quote is not a quote)
  | (?:[^\W\d_]\.){2,}(?!\w)      # abbreviations with inner dots: U.S., z.B., e.g.
  | \d+(?:[.,:]\d+)+              # numbers with separators: 3.5, 1,000, 10:30
  | \w+(?:[-'’]\w+)*              # words, keeping inner hyphens and apostrophes
  | ([^\w\s])\1*                  # punctuation; runs of one character stay together
    """,
    re.VERBOSE,
)
_CLOSING = set(",.!?;:%)]}…”’»")
_OPENING = {"(", "[", "{", "¿", "¡", "“", "‘", "„", "$", "£", "#"}
_JOINING = {"/"}
_STRAIGHT_QUOTES = {'"', "'"}


def simple_tokenize(text: str, lower: bool = False) -> list[str]:
    """Split text into words, numbers and punctuation (language-independent).

    Words keep inner hyphens and apostrophes (``T-shirt``, ``don't``, ``geht's``), numbers
    keep their separators (``3.5``, ``1,000``) and dotted abbreviations stay whole
    (``U.S.``, ``z.B.``); every other punctuation character becomes its own token, except
    that runs of one character (``...``, ``!!``) stay together. :func:`simple_detokenize`
    undoes it for ordinary English and German text.
    """
    if lower:
        text = text.lower()
    return [m.group(0) for m in _SIMPLE_TOKEN.finditer(text)]


def simple_detokenize(tokens: Sequence[str]) -> str:
    """Join tokens with spaces, except around punctuation.

    Closing punctuation (``, . ! ? ; : % ) ]`` ...) attaches to the previous token, opening
    brackets, ``$``/``£`` and opening quotes to the next one, ``/`` to both sides. Straight
    quotes alternate between opening and closing; ``“`` closes a quote opened by ``„``
    (German) and opens one otherwise.
    """
    out: list[str] = []
    glue_next = True
    open_quotes: set[str] = set()
    for tok in tokens:
        if tok in _STRAIGHT_QUOTES or tok == "“":
            closing = tok in open_quotes or (tok == "“" and "„" in open_quotes)
            if closing:
                open_quotes.discard("„" if tok == "“" else tok)
            else:
                open_quotes.add(tok)
            glue_before, glue_after = closing, not closing
        elif tok == "„":
            open_quotes.add(tok)
            glue_before, glue_after = False, True
        else:
            glue_before = tok in _JOINING or all(c in _CLOSING for c in tok)
            glue_after = tok in _OPENING or tok in _JOINING
        if out and not (glue_next or glue_before):
            out.append(" ")
        out.append(tok)
        glue_next = glue_after
    return "".join(out)


# --- English tokenizer (tagging) ----------------------------------------------------------

_ABBREVIATION_WORDS = (
    "mr mrs ms dr prof sr jr st mt ft vs etc inc ltd co corp dept univ gen gov sen rep "
    "rev jan feb mar apr jun jul aug sep sept oct nov dec approx est fig"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
_DOTTED = re.compile(r"(?:[A-Za-z]\.){2,}|[A-HJ-Z]\.")
_LEADING = re.compile(r"[\"'“‘(\[{¿¡$£€]|\.{2,}|-{2,}|…")
_TRAILING = re.compile(r"(?:\.{2,}|!{2,}|\?{2,}|-{2,}|[\"'”’)\]}.,;:!?%…])$")
_CLITIC_START = re.compile(r"(?:n['’]t|['’](?:s|m|d|ll|re|ve))(?!\w)", re.IGNORECASE)
_CLITIC_SUFFIX = re.compile(r"(.+?)(n['’]t|['’](?:s|m|d|ll|re|ve))", re.IGNORECASE)
_SPLIT_WORDS = {"cannot": 3, "gonna": 3, "gotta": 3, "wanna": 3}
_URL = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_ENGLISH_TOKEN = re.compile(
    r"""
    \d+(?:[-/.,:]\d+)+             # numbers, dates, phone numbers: 3.5, 1,000, 9/11, 555-0100
  | \w+(?:[-'’&.]\w+)*            # words with inner hyphens etc.: well-known, AT&T
  | ([^\w\s])\1*                  # punctuation; runs of one character stay together
    """,
    re.VERBOSE,
)
# Hyphenated words are split as in UD English (``well - known``) unless they start with one
# of these prefixes, which UD keeps attached (``e-mail``, ``non-profit``).
_HYPHEN_PREFIX_WORDS = (
    "e non pre post anti mid re co over pro multi ex sub semi cross neo counter inter "
    "intra micro macro un psycho socio"
)
_HYPHEN_PREFIXES = frozenset(_HYPHEN_PREFIX_WORDS.split())


def _split_hyphens(word: str) -> list[str]:
    parts = word.split("-")
    if len(parts) == 1 or parts[0].lower() in _HYPHEN_PREFIXES:
        return [word]
    tokens = [parts[0]]
    for part in parts[1:]:
        tokens += ["-", part]
    return tokens


def _is_abbreviation(word: str) -> bool:
    return bool(_DOTTED.fullmatch(word)) or word[:-1].lower() in _ABBREVIATIONS


def _english_chunk(chunk: str) -> list[str]:
    """Tokenize one whitespace-free chunk."""
    lead: list[str] = []
    while chunk and not _CLITIC_START.match(chunk) and (m := _LEADING.match(chunk)):
        if m.end() == len(chunk):
            break
        lead.append(m.group(0))
        chunk = chunk[m.end() :]
    trail: list[str] = []
    while len(chunk) > 1 and (m := _TRAILING.search(chunk)):
        if m.group(0) == "." and _is_abbreviation(chunk):
            break
        if m.start() == 0:
            break
        trail.append(m.group(0))
        chunk = chunk[: m.start()]
    trail.reverse()
    if _URL.fullmatch(chunk) or _CLITIC_START.fullmatch(chunk) or _is_dotted(chunk):
        return [*lead, chunk, *trail]
    split_at = _SPLIT_WORDS.get(chunk.lower())
    if split_at is not None:
        return [*lead, chunk[:split_at], chunk[split_at:], *trail]
    clitic: list[str] = []
    if m := _CLITIC_SUFFIX.fullmatch(chunk):
        chunk, clitic = m.group(1), [m.group(2)]
    core = [
        tok
        for m in _ENGLISH_TOKEN.finditer(chunk)
        for tok in (_split_hyphens(m.group(0)) if m.group(1) is None else [m.group(0)])
    ]
    return [*lead, *core, *clitic, *trail]


def _is_dotted(chunk: str) -> bool:
    return chunk.endswith(".") and _is_abbreviation(chunk)


def tokenize_english(text: str) -> list[str]:
    """Tokenize English text like Universal Dependencies / Penn Treebank.

    Clitics are split off (``don't`` -> ``do n't``, ``can't`` -> ``ca n't``, ``I'm`` ->
    ``I 'm``, ``John's`` -> ``John 's``; ``cannot``/``gonna`` become two tokens),
    punctuation is separated (``...``, ``--`` and ``!!`` stay whole), and so are hyphens
    and slashes between words (``well - known``, ``and / or``) except after common
    prefixes (``e-mail``, ``non-profit``), while numbers and dates (``3.5``, ``1,000``,
    ``9/11``), abbreviations (``Mr.``, ``U.S.``, ``e.g.``), URLs and e-mail addresses stay
    single tokens. Quotes are left as typed.
    """
    return [tok for chunk in text.split() for tok in _english_chunk(chunk)]
