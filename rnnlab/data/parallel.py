"""Line-aligned parallel text (e.g. Multi30k) for sequence-to-sequence translation."""

from __future__ import annotations

from os import PathLike

from rnnlab.data.errors import DataFormatError
from rnnlab.data.text_files import read_utf8, split_lines


def read_parallel(
    source_path: str | PathLike[str], target_path: str | PathLike[str]
) -> list[tuple[str, str]]:
    """Read two UTF-8 files whose line ``i`` are translations of each other.

    Returns ``(source, target)`` pairs with surrounding whitespace stripped.

    Raises:
        DataFormatError: the files have different numbers of lines (the message names
            both files and both counts).
    """
    source = [line.strip() for line in split_lines(read_utf8(source_path))]
    target = [line.strip() for line in split_lines(read_utf8(target_path))]
    if len(source) != len(target):
        raise DataFormatError(
            source_path,
            None,
            f"has {len(source)} lines but the parallel file {target_path} has "
            f"{len(target)}; the two files must be line-aligned",
        )
    return list(zip(source, target, strict=True))
