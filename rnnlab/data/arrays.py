"""``.npy`` arrays read without pickle: a plain numeric array or a one-line error.

``np.load`` on a file that is not an array (or is a pickled one) tells the user to pass
``allow_pickle=True`` — advice rnnlab never gives, since unpickling runs code from the
file. :func:`read_npy` reads NumPy's header itself first and refuses, naming the file,
an empty or truncated file, another format, and arrays of Python objects.
"""

from __future__ import annotations

import math
from os import PathLike
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from rnnlab.data.errors import DataFormatError

_HEADER_READERS = {(1, 0): npy_format.read_array_header_1_0,
                   (2, 0): npy_format.read_array_header_2_0}


def read_npy(path: str | PathLike[str]) -> np.ndarray:
    """The array in the ``.npy`` file ``path``.

    Raises:
        FileNotFoundError: no file there.
        DataFormatError: an empty file, not a ``.npy`` file (or a format version other than
            1.0 and 2.0), an array of Python objects, or fewer data bytes than the header
            promises.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no .npy file at {path}")
    size = path.stat().st_size
    if size == 0:
        raise DataFormatError(path, None, "empty file (expected a .npy array)")
    with path.open("rb") as file:
        try:
            version = npy_format.read_magic(file)
            if version not in _HEADER_READERS:
                raise ValueError(f".npy format version {version[0]}.{version[1]}")
            shape, _, dtype = _HEADER_READERS[version](file)
        except ValueError as error:
            raise DataFormatError(path, None, f"not a .npy array file ({error})") from None
        if dtype.hasobject:
            raise DataFormatError(path, None, "the array holds Python objects (dtype "
                                              f"{dtype}); save a numeric array instead")
        promised = math.prod(shape) * dtype.itemsize
        if size - file.tell() < promised:
            raise DataFormatError(path, None, f"truncated: the header promises {promised} bytes "
                                              f"of data, the file holds {size - file.tell()}")
        file.seek(0)
        try:
            return npy_format.read_array(file, allow_pickle=False)
        except (ValueError, EOFError) as error:
            raise DataFormatError(path, None, f"unreadable .npy array ({error})") from None
