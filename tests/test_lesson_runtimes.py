"""The runtimes lesson (lessons/plot_runtimes.py) and its measurement (lessons/upsample_helpers/runtimes.py,
benchmarks/check_runtimes.py): the kept results cover every case, a handful of them measured again here, the page
says what they say, and the pitfalls it teaches are real."""

from __future__ import annotations

import json
import sys

import pytest
import torch
import torch.nn.functional as F
from conftest import ROOT, run_lesson

from upsample_example import MODES, UpsampleExample
from upsample_helpers.runtimes import (
    FUNCTION_RUNTIMES,
    FUNCTIONS,
    RESULTS,
    RUNTIMES,
    SPECS,
    VARIANTS,
    case_input,
    case_model,
    run_case,
    run_dynamic,
    run_function_case,
)

DATA = json.loads(RESULTS.read_text())
KEPT = {(case["variant"], case["spec"], case["runtime"]): case for case in DATA["cases"]}

# Measured again in the suite: the divergent cases among them, a failure of each exporter, and one agreement each.
HANDFUL = [
    ("2D nearest", "×1.3 on 3 pixels", "torch.compile"),
    ("1D nearest", "×1.3 on 3 pixels", "ONNX Runtime"),
    ("2D nearest", "×1.3 on 3 pixels, recompute", "torch.compile"),
    ("2D bilinear", "×1.7", "torch.compile"),
    ("2D bicubic", "×1.7", "ONNX Runtime"),
    ("3D area", "×2", "ONNX Runtime"),
    ("2D nearest-exact", "×2", "ONNX Runtime, legacy exporter"),
    ("1D linear, corners", "×1.7", "ONNX Runtime, legacy exporter"),
    ("3D trilinear", "size", "torch.export"),
    ("2D bicubic, corners", "×1.7, recompute", "TorchScript"),
]


def test_the_kept_results_cover_every_case_on_the_installed_torch():
    assert set(KEPT) == {(variant, spec, runtime) for variant in VARIANTS for spec in SPECS for runtime in RUNTIMES}
    assert DATA["versions"]["torch"] == torch.__version__
    modes = {kwargs["mode"] for rank, kwargs in VARIANTS.values()}
    assert modes == set(MODES)  # every mode UpsampleExample offers, in every rank it works in
    assert {rank for rank, kwargs in VARIANTS.values() if kwargs["mode"] == "nearest"} == {1, 2, 3}


@pytest.mark.parametrize("case", HANDFUL, ids=[" | ".join(case) for case in HANDFUL])
def test_a_handful_measured_again_agrees_with_the_kept_results(case):
    fresh, kept = run_case(*case), KEPT[case]
    assert fresh["status"] == kept["status"]
    if kept["status"] == "differs":
        assert fresh["difference"] == pytest.approx(kept["difference"], rel=1e-3)
    if kept["status"] == "fails":
        assert fresh["error"].split(":")[0] == kept["error"].split(":")[0]


FUNCTION_HANDFUL = [("bicubic, antialias, 28→14", "ONNX Runtime"), ("lanczos, 14→28", "ONNX Runtime"),
                    ("PixelShuffle(2)", "ONNX Runtime, legacy exporter"), ("nearest-exact, ties 20→6", "torch.export")]


def test_the_kept_results_cover_every_function_case():
    kept = {(case["variant"], case["runtime"]) for case in DATA["functions"]}
    assert kept == {(name, runtime) for name in FUNCTIONS for runtime in FUNCTION_RUNTIMES}


@pytest.mark.parametrize("case", FUNCTION_HANDFUL, ids=[" | ".join(case) for case in FUNCTION_HANDFUL])
def test_a_handful_of_function_cases_measured_again_agrees_with_the_kept_results(case):
    kept = next(kept for kept in DATA["functions"] if (kept["variant"], kept["runtime"]) == case)
    fresh = run_function_case(*case)
    assert fresh["status"] == kept["status"]
    if kept["status"] == "fails":
        assert fresh["error"].split(":")[0] == kept["error"].split(":")[0]


def test_what_only_the_function_has_really_is_the_function_s():
    """The function-only rows are not nn.Upsample in disguise: the layer refuses them, and they change the output."""
    for name in ("bilinear, antialias, 28→14", "bicubic, antialias, 14→28"):
        module, shape = FUNCTIONS[name][0](), FUNCTIONS[name][1]
        x = torch.rand(1, 1, *shape[2:])
        plain = F.interpolate(x, size=module.size, mode=module.options["mode"])
        assert (module(x) - plain).abs().max() > 1e-3
    with pytest.raises(TypeError, match="antialias"):
        UpsampleExample(size=14, mode="bilinear", antialias=True)
    # the tie rows are at ties: output centres (d + ½)·n_in/n_out that land exactly on a pixel border
    for n_in, n_out, ties in ((20, 6, 2), (28, 42, 14)):
        assert sum((2 * d + 1) * n_in % (2 * n_out) == 0 for d in range(n_out)) == ties
        assert FUNCTIONS[f"nearest-exact, ties {n_in}→{n_out}"][1][-1] == n_in


def test_the_function_rows_say_what_the_readme_says():
    status = {(case["variant"], case["runtime"]): case["status"] for case in DATA["functions"]}
    antialiased = [name for name in FUNCTIONS if "antialias" in name]
    lanczos = [name for name in FUNCTIONS if name.startswith("lanczos")]
    for name in FUNCTIONS:
        assert status[name, "torch.export"] == status[name, "torch.compile"] == "agrees"
    assert all(status[name, "ONNX Runtime"] == "agrees" for name in antialiased)
    assert all(status[name, "ONNX Runtime"] == "fails" for name in lanczos)
    assert all(status[name, "ONNX Runtime, legacy exporter"] == "fails"
               for name in [*antialiased, *lanczos, "nearest-exact, ties 20→6", "nearest-exact, ties 28→42"])
    others = [name for name in FUNCTIONS if name.startswith(("Pixel", "nearest"))]
    assert {status[name, runtime] for name in others for runtime in FUNCTION_RUNTIMES} == {"agrees", "fails"}


@pytest.mark.parametrize("case", [("2D bicubic", "ONNX Runtime"), ("2D nearest", "torch.export")],
                         ids=" | ".join)
def test_a_dynamic_shape_export_measured_again_agrees_with_the_kept_results(case):
    kept = next(kept for kept in DATA["dynamic"] if (kept["variant"], kept["runtime"]) == case)
    assert run_dynamic(*case)["status"] == kept["status"]


def test_the_rule_size_or_recompute_and_every_runtime_that_exports_agrees():
    for (variant, spec, runtime), case in KEPT.items():
        if spec in ("size", "×1.7, recompute", "×1.3 on 3 pixels, recompute") or "corners" in variant:
            assert case["status"] in ("agrees", "fails"), (variant, spec, runtime)
    differing = {spec for (variant, spec, runtime), case in KEPT.items() if case["status"] == "differs"}
    assert differing == {"×1.3 on 3 pixels"}
    assert all(KEPT[variant, spec, "TorchScript"]["status"] == "agrees" for variant in VARIANTS for spec in SPECS)
    assert all(KEPT[variant, spec, "torch.export"]["status"] == "agrees" for variant in VARIANTS for spec in SPECS)


def test_the_unchanged_side_case_as_the_readme_shows_it():
    """Eager copies the input for some modes and applies the factor for others; and 2D nearest depends on the width."""
    copies = {}
    for variant, (rank, kwargs) in VARIANTS.items():
        if "corners" not in variant:
            x = torch.rand((1, 1) + (3,) * rank)
            copies[variant] = torch.equal(F.interpolate(x, scale_factor=1.3, **kwargs), x)
    assert {variant for variant, copied in copies.items() if copied} == {
        "1D linear", "1D area", "2D nearest", "2D bilinear", "2D area", "3D trilinear", "3D area"}
    rows = torch.arange(2.0).reshape(1, 1, 2, 1)
    narrow, wide = (F.interpolate(rows.expand(1, 1, 2, width).contiguous(), scale_factor=(1.3, 2.0))[0, 0, :, 0]
                    for width in (63, 64))
    assert narrow.tolist() == [0.0, 1.0] and wide.tolist() == [0.0, 0.0]


@pytest.mark.parametrize(("width", "kernel"), [(63, "upsample_nearest2d_channels_last"),
                                               (64, "compute_indices_weights_nearest")])
def test_the_width_picks_the_kernel(width, kernel):
    """Output (2, 126): 128 or less, the channels_last kernel; (2, 128): the generic one (named in torch's dtype error)."""
    with pytest.raises(RuntimeError, match=f'"{kernel}" not implemented'):
        F.interpolate(torch.zeros(1, 1, 2, width, dtype=torch.int32), scale_factor=(1.3, 2.0))


def test_the_case_input_keeps_its_sides_for_the_unchanged_specs():
    for spec in ("×1.3 on 3 pixels", "×1.3 on 3 pixels, recompute"):
        x = case_input(2, spec)
        assert case_model("2D nearest", spec)(x).shape == x.shape


def test_dynamos_recompile_limit_silently_compares_eager_with_eager(caplog):
    """Twelve modules sharing UpsampleExample.forward: without a reset only 8 are compiled, the rest run eagerly,
    after one logged warning."""
    import logging

    from torch._dynamo.testing import CompileCounter

    caplog.set_level(logging.WARNING)

    x = torch.rand(1, 1, 6, 6)
    counters = []
    for reset in (False, True):
        torch._dynamo.reset()
        counter = CompileCounter()
        for size in range(10, 22):
            if reset:
                torch._dynamo.reset()
            torch.compile(UpsampleExample(size=size), backend=counter)(x)
        counters.append(counter.frame_count)
    torch._dynamo.reset()
    assert counters == [torch._dynamo.config.recompile_limit, 12] and torch._dynamo.config.recompile_limit == 8
    warnings = [record for record in caplog.records if "recompile_limit" in record.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def test_torchscript_compiles_forward_as_it_stands_and_refuses_what_eager_refuses():
    model = UpsampleExample(scale_factor=1.7, mode="bicubic")
    with pytest.warns(FutureWarning, match="torch.jit.script` is deprecated"):
        scripted = torch.jit.script(model)
    x = torch.rand(2, 1, 28, 28)
    assert torch.equal(scripted(x), model(x))
    for run in (model, scripted):  # a 1D input for a 2D mode: the model's own check, eager or scripted
        with pytest.raises((ValueError, torch.jit.Error), match="mode 'bicubic' needs 4D input, got 3D"):
            run(torch.rand(1, 1, 28))


def test_the_page_prints_the_kept_table_row_by_row():
    printed = [line.split() for line in run_lesson("plot_runtimes").printed]
    for variant in VARIANTS:  # each row: the variant, then per spec the five marks in RUNTIMES' order
        marks = ["".join({"agrees": "✓", "differs": "≠", "fails": "✗"}[KEPT[variant, spec, runtime]["status"]]
                         for runtime in RUNTIMES) for spec in SPECS]
        assert [*variant.split(), *marks] in printed


def test_the_benchmark_command_refuses_to_write_a_handful_and_an_old_torch_s_results(tmp_path, monkeypatch, capsys):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import check_runtimes
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    with pytest.raises(SystemExit) as exit_:
        check_runtimes.main(["--write-results"])
    assert exit_.value.code == 2 and "--write-results needs --all" in capsys.readouterr().err
    old = tmp_path / "runtimes.json"
    old.write_text(json.dumps({**DATA, "versions": {**DATA["versions"], "torch": "1.0"}}))
    monkeypatch.setattr(check_runtimes.runtimes, "kept_results", lambda: json.loads(old.read_text()))
    assert check_runtimes.main([]) == 1
    assert f"measured with torch 1.0, this is {torch.__version__}" in capsys.readouterr().out
