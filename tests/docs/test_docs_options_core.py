"""The projection and layer-normalisation examples of docs/options.md (its first two
```python blocks) run as written and print what the page says: PyTorch's LSTMP reproduced
from its state_dict over a packed batch, and a passing gradient check of a deep,
bidirectional layer-normalised LSTM with lengths."""

from __future__ import annotations

import warnings

from doc_examples import examples, run_example

PAGE = "options.md"
OPTIONS_EXAMPLES = 3  # python blocks on the page: projections, layer norm, regularisers


def test_proj_size_gives_torchs_shapes_and_numbers():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="LSTM with projections is not supported")
        namespace, printed = run_example(examples(PAGE, OPTIONS_EXAMPLES)[0], PAGE)
    shapes, states, difference = printed.splitlines()
    assert shapes == "(3, 8) (32, 3) (32, 6)"
    assert states == "(7, 4, 6) (4, 4, 3) (4, 4, 8)"
    assert float(difference.split(":")[1]) < 1e-5


def test_layer_norm_gradient_check_passes():
    namespace, printed = run_example(examples(PAGE, OPTIONS_EXAMPLES)[1], PAGE)
    names, checked = printed.splitlines()
    assert names == str(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                         "layer_norm_ih_weight_l0", "layer_norm_hh_weight_l0",
                         "layer_norm_cell_weight_l0", "layer_norm_cell_bias_l0"])
    errors = namespace["errors"]
    assert len(errors) == 1 + 2 * 2 * 8 and max(errors.values()) < 1e-6
    assert checked.startswith("33 tensors checked, largest relative error")
