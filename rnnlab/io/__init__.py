"""Files: atomic writes, pickle-free weights (safetensors) and JSON."""

from rnnlab.io.atomic import (
    atomic_output,
    atomic_path,
    atomic_write,
    atomic_write_bytes,
    atomic_write_text,
    fsync_dir,
    leftover_of,
)
from rnnlab.io.serialization import (
    load_arrays,
    load_json,
    load_model_dir,
    save_arrays,
    save_json,
    save_model_dir,
)

__all__ = [
    "atomic_output", "atomic_path", "atomic_write", "atomic_write_bytes", "atomic_write_text",
    "fsync_dir", "leftover_of", "save_arrays", "load_arrays", "save_json", "load_json",
    "save_model_dir", "load_model_dir",
]
