"""Each demo, run end to end on a tiny budget, writes its figures, numbers and summary."""

import json

import pytest

from rnnlab.cli import build_parser, main
from rnnlab.demos.addition import AdditionConfig, load_addition_model, run_addition
from rnnlab.demos.agreement import AgreementConfig, run_agreement
from rnnlab.demos.common import seed_banner
from rnnlab.demos.gates import GatesConfig, run_gates
from rnnlab.demos.gradients import GradientsConfig, run_gradients


def assert_pngs(report, names):
    for name in names:
        path = report.out_dir / name
        assert path in report.files
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size < 200_000
    assert json.loads((report.out_dir / "metrics.json").read_text())
    assert report.lines[0] == seed_banner(report_seed(report))


def report_seed(report):
    return int(report.lines[0].split()[1].rstrip(";"))


def test_addition_compare_run(tmp_path):
    config = AdditionConfig(compare=True, hidden_size=4, steps=3, test_digits=4,
                            train_digits=2, test_count=5, seed=3, out=str(tmp_path),
                            progress=False)
    report = run_addition(config)
    assert_pngs(report, ["accuracy_by_length.png", "training_loss.png",
                         *(f"hidden_state_pca_{c}.png" for c in ("rnn", "gru", "lstm"))])
    assert report.lines[0] == "seed 3; rerun with --seed N"
    assert set(report.metrics) == {"rnn", "gru", "lstm"}
    assert "true" in report.text() and "model" in report.text()
    model = load_addition_model(tmp_path / "model-gru")
    assert model.cell == "gru" and model.hidden_size == 4


def test_addition_learns_binary_addition_quickly(tmp_path):
    config = AdditionConfig(steps=300, test_digits=16, test_count=50, out=str(tmp_path),
                            progress=False)
    metrics = run_addition(config).metrics["rnn"]
    assert metrics["exact"][16] > 0.9  # twice the longest training number
    assert metrics["carry_readout"] > 0.95


def test_gradients_run(tmp_path):
    config = GradientsConfig(hidden_size=4, length=6, train_length=3, train_steps=2,
                             batch_size=4, probe_count=3, gains=(0.5, 2.0), explode_steps=3,
                             explode_length=4, out=str(tmp_path), progress=False)
    report = run_gradients(config)
    assert_pngs(report, ["gradient_norms.png", "exploding.png"])
    assert set(report.metrics["cells"]) == {"rnn-tanh", "rnn-sigmoid", "gru", "lstm"}
    assert set(report.metrics["clipping"]) == {"no clipping", "clip ‖g‖ ≤ 1"}


@pytest.mark.parametrize("objective", ["lm", "classify"])
def test_agreement_run(tmp_path, objective):
    config = AgreementConfig(objective=objective, cells=("rnn", "lstm"), embedding_size=3,
                             hidden_size=4, train_distance=5, test_distance=8, steps=2,
                             batch_size=4, test_count=4, attractor_distance=7,
                             out=str(tmp_path), progress=False)
    report = run_agreement(config)
    assert_pngs(report, ["agreement_accuracy.png"])
    assert len(report.metrics["lstm"]["by_attractors"]) == 3  # 0, 1, 2 fit in 7 words


def test_gates_run_trains_then_reloads_its_model(tmp_path):
    config = GatesConfig(hidden_size=4, num_layers=2, steps=2, digits=5, sample_count=6,
                         out=str(tmp_path / "trained"), progress=False)
    report = run_gates(config)
    assert_pngs(report, ["gate_heatmaps.png", "gate_saturation.png"])
    assert report.metrics["recompute_max_abs_diff"] < 1e-4
    assert set(report.metrics["saturation"]) == {"layer 1", "layer 2"}
    again = run_gates(GatesConfig(model=str(tmp_path / "trained" / "model-lstm"), digits=5,
                                  sample_count=6, out=str(tmp_path / "loaded"),
                                  progress=False))
    assert again.metrics["saturation"] == report.metrics["saturation"]


def test_gates_refuses_a_model_that_is_not_an_lstm(tmp_path):
    run_addition(AdditionConfig(hidden_size=3, steps=1, test_digits=8, test_count=2,
                                out=str(tmp_path), progress=False))
    with pytest.raises(ValueError, match="not an LSTM"):
        run_gates(GatesConfig(model=str(tmp_path / "model-rnn"), out=str(tmp_path / "g"),
                              progress=False))


def test_cli_registers_every_demo_and_runs_one(tmp_path, capsys):
    parser = build_parser()
    for name in ("addition", "gradients", "agreement", "gates"):
        args = parser.parse_args(["demo", name])
        assert args.out == f"runs/demo-{name}" and args.seed == 0 and callable(args.handler)
    code = main(["demo", "addition", "--base", "10", "--steps", "2", "--hidden-size", "3",
                 "--test-digits", "8", "--out", str(tmp_path), "--no-progress", "--seed", "7"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("seed 7; rerun with --seed N")
    assert "decimal addition" in out and (tmp_path / "accuracy_by_length.png").exists()
