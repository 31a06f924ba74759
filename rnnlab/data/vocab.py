"""Token <-> id mapping with special tokens."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from os import PathLike
from typing import Any

from rnnlab.data.errors import DataFormatError
from rnnlab.data.text_files import read_utf8
from rnnlab.io.atomic import atomic_write_text

PAD = "<pad>"
UNK = "<unk>"
BOS = "<bos>"
EOS = "<eos>"

_SPECIAL_KEYS = ("pad", "unk", "bos", "eos")


class Vocab:
    """A fixed mapping between tokens (any strings, e.g. words or characters) and ids.

    Special tokens come first, in the order pad, unk, bos, eos (those that are used), so the
    pad token, when present, always has id 0. Build one from data with :meth:`build`; save it
    with :meth:`to_dict` (plain JSON types) and restore it with :meth:`from_dict`.

    Args:
        tokens: every token in id order, special tokens included.
        pad, unk, bos, eos: the special tokens, or ``None`` for a vocabulary without them
            (a label vocabulary typically has none). Each one given must be in ``tokens``,
            and ``pad`` must have id 0.
    """

    def __init__(
        self,
        tokens: Sequence[str],
        *,
        pad: str | None = PAD,
        unk: str | None = UNK,
        bos: str | None = None,
        eos: str | None = None,
    ) -> None:
        self._itos = list(tokens)
        self._stoi = {token: i for i, token in enumerate(self._itos)}
        if len(self._stoi) != len(self._itos):
            dup = next(t for t, n in Counter(self._itos).items() if n > 1)
            raise ValueError(f"duplicate token in vocabulary: {dup!r}")
        self._specials: dict[str, str | None] = {"pad": pad, "unk": unk, "bos": bos, "eos": eos}
        for key, token in self._specials.items():
            if token is not None and token not in self._stoi:
                raise ValueError(f"{key} token {token!r} is not in the vocabulary")
        if pad is not None and self._stoi[pad] != 0:
            raise ValueError(f"pad token {pad!r} must have id 0, has id {self._stoi[pad]}")

    @classmethod
    def build(
        cls,
        sequences: Iterable[Iterable[str]],
        *,
        min_freq: int = 1,
        max_size: int | None = None,
        pad: str | None = PAD,
        unk: str | None = UNK,
        bos: str | None = None,
        eos: str | None = None,
    ) -> Vocab:
        """Count tokens in ``sequences`` and build a vocabulary.

        Ordinary tokens are ordered by frequency (descending), ties by token (ascending),
        so the result does not depend on the order of the data. Passing strings as the
        sequences gives a character vocabulary.

        Args:
            sequences: token sequences, e.g. sentences as lists of words, or strings.
            min_freq: tokens seen fewer times are left out (they will map to ``unk``).
            max_size: largest total size, special tokens included; ``None`` for no limit.
            pad, unk, bos, eos: special tokens to reserve (``None`` leaves one out); they
                take the first ids and are not counted even if they occur in the data.
        """
        if min_freq < 1:
            raise ValueError(f"min_freq must be >= 1, got {min_freq}")
        specials = [t for t in (pad, unk, bos, eos) if t is not None]
        if max_size is not None and max_size < len(specials):
            raise ValueError(f"max_size {max_size} is smaller than the {len(specials)} specials")
        counts: Counter[str] = Counter()
        for seq in sequences:
            counts.update(seq)
        reserved = set(specials)
        ranked = sorted(
            (item for item in counts.items() if item[1] >= min_freq and item[0] not in reserved),
            key=lambda item: (-item[1], item[0]),
        )
        if max_size is not None:
            ranked = ranked[: max_size - len(specials)]
        return cls(specials + [token for token, _ in ranked], pad=pad, unk=unk, bos=bos, eos=eos)

    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token: object) -> bool:
        return token in self._stoi

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return self._itos == other._itos and self._specials == other._specials

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, specials={self.specials})"

    @property
    def tokens(self) -> list[str]:
        """All tokens in id order (a copy)."""
        return list(self._itos)

    @property
    def specials(self) -> list[str]:
        """The special tokens in use, in id order."""
        return [t for t in self._specials.values() if t is not None]

    def _special_id(self, key: str) -> int:
        token = self._specials[key]
        if token is None:
            raise AttributeError(f"this vocabulary has no {key} token")
        return self._stoi[token]

    @property
    def pad_id(self) -> int:
        """Id of the pad token (0); ``AttributeError`` if the vocabulary has none."""
        return self._special_id("pad")

    @property
    def unk_id(self) -> int:
        """Id of the unknown-token symbol; ``AttributeError`` if the vocabulary has none."""
        return self._special_id("unk")

    @property
    def bos_id(self) -> int:
        """Id of the begin-of-sequence token; ``AttributeError`` if the vocabulary has none."""
        return self._special_id("bos")

    @property
    def eos_id(self) -> int:
        """Id of the end-of-sequence token; ``AttributeError`` if the vocabulary has none."""
        return self._special_id("eos")

    def token_to_id(self, token: str) -> int:
        """Id of ``token``; unknown tokens give ``unk_id``, or ``KeyError`` without unk."""
        idx = self._stoi.get(token)
        if idx is not None:
            return idx
        if self._specials["unk"] is None:
            raise KeyError(f"token {token!r} is not in the vocabulary (which has no unk token)")
        return self._stoi[self._specials["unk"]]

    def id_to_token(self, idx: int) -> str:
        """Token with id ``idx``; ``IndexError`` when out of range."""
        if not 0 <= idx < len(self._itos):
            raise IndexError(f"id {idx} is out of range for a vocabulary of size {len(self)}")
        return self._itos[idx]

    def encode(
        self, tokens: Iterable[str], *, add_bos: bool = False, add_eos: bool = False
    ) -> list[int]:
        """Map tokens to ids (unknown tokens to ``unk_id``), optionally adding bos/eos."""
        ids = [self.token_to_id(t) for t in tokens]
        if add_bos:
            ids.insert(0, self.bos_id)
        if add_eos:
            ids.append(self.eos_id)
        return ids

    def decode(self, ids: Iterable[int], *, skip_specials: bool = False) -> list[str]:
        """Map ids back to tokens; with ``skip_specials`` special tokens are dropped."""
        tokens = [self.id_to_token(int(i)) for i in ids]
        if skip_specials:
            special = set(self.specials)
            tokens = [t for t in tokens if t not in special]
        return tokens

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description of the vocabulary (see :meth:`from_dict`)."""
        return {"tokens": list(self._itos), **self._specials}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocab:
        """Rebuild a vocabulary from the output of :meth:`to_dict`."""
        tokens = data.get("tokens")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValueError("vocabulary dict needs 'tokens': a list of strings")
        specials = {key: data.get(key) for key in _SPECIAL_KEYS}
        for key, token in specials.items():
            if token is not None and not isinstance(token, str):
                raise ValueError(f"vocabulary dict: {key!r} must be a string or null")
        return cls(tokens, **specials)

    def save(self, path: str | PathLike[str]) -> None:
        """Write the vocabulary to ``path`` as UTF-8 JSON (atomically)."""
        atomic_write_text(path, json.dumps(self.to_dict(), ensure_ascii=False, indent=0))

    @classmethod
    def load(cls, path: str | PathLike[str]) -> Vocab:
        """Read a vocabulary written by :meth:`save`.

        Raises:
            DataFormatError: not UTF-8, not JSON, or not a vocabulary (naming the file).
        """
        try:
            data = json.loads(read_utf8(path))
        except json.JSONDecodeError as error:
            raise DataFormatError(path, error.lineno, f"invalid JSON ({error.msg})") from None
        except RecursionError:
            raise DataFormatError(path, None, "JSON nested too deeply to read") from None
        if not isinstance(data, dict):
            raise DataFormatError(path, None, "not a vocabulary (expected a JSON object)")
        try:
            return cls.from_dict(data)
        except ValueError as error:
            raise DataFormatError(path, None, str(error)) from None
