"""The ONNX exporter table covers the registry: every registered kind has an exporter or
a stated refusal, and each kind's sample model exports, passes onnx's checker and gives
rnnlab's numbers in onnxruntime; `rnnlab export` writes one file per part."""

from __future__ import annotations

import pytest

from rnnlab.cli import main
from rnnlab.export.onnx import EXPORTERS, REFUSALS, export_model, largest_difference, part_path
from rnnlab.export.onnx.exporters import exporter_of
from rnnlab.models import KINDS

onnx = pytest.importorskip("onnx")


def test_every_registered_kind_has_an_exporter_or_a_refusal():
    assert set(EXPORTERS) | set(REFUSALS) == set(KINDS)
    assert not set(EXPORTERS) & set(REFUSALS)
    assert all(reason.strip() for reason in REFUSALS.values())


@pytest.mark.parametrize("name", sorted(EXPORTERS))
def test_each_kind_exports_and_verifies(name):
    pytest.importorskip("onnxruntime")
    model = KINDS[name].sample()
    parts = export_model(model)
    assert tuple(parts) == EXPORTERS[name].parts == exporter_of(model).parts
    for proto in parts.values():
        onnx.checker.check_model(proto)
        assert {p.key: p.value for p in proto.metadata_props}["rnnlab.kind"] == name
    difference, inputs = largest_difference(parts, model)
    assert difference < 1e-5 and inputs


def test_anything_else_is_refused_by_name():
    with pytest.raises(ValueError, match="a dict is not a registered kind of model"):
        export_model({})


@pytest.mark.parametrize("name", sorted(EXPORTERS))
def test_the_command_writes_one_file_per_part(tmp_path, capsys, name):
    KINDS[name].sample().save(tmp_path / "run" / "model")
    out = tmp_path / "m.onnx"
    assert main(["export", str(tmp_path / "run"), "--out", str(out)]) == 0
    written = sorted(p.name for p in tmp_path.glob("*.onnx"))
    assert written == sorted(part_path(out, part).name for part in EXPORTERS[name].parts)
    assert "wrote" in capsys.readouterr().out
