"""The benchmarks run and report consistent numbers (smoke runs on tiny sizes; the speeds come from the benchmarks)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from upsample_example import MODES

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name: str):
    """Import a benchmark script by its path (benchmarks/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_throughput_benchmark_reports_every_mode_beside_the_copy_roof(tmp_path, capsys):
    bench = load("bench_upsample")
    output = tmp_path / "throughput.json"
    assert bench.main(["--batches", "3", "--threads", "1", "--min-time", "0.001", "--samples", "1", "--json", str(output),
                       "--write-results"]) == 0
    report = json.loads(output.read_text())
    assert report["machine"]["cpus"] >= 1 and report["machine"]["torch"]
    rows = {(row["method"], row["input"]): row for row in report["results"]}
    assert rows[("copy (bandwidth roof)", "float32")]["of_copy"] == 1
    for mode in (mode for mode, dims in MODES.items() if dims in (None, 2)):
        row = rows[(f"torch {mode}", "float32")]
        assert row["batch"] == 3 and row["threads"] == 1
        assert row["images_per_s"] == pytest.approx(3 / (row["ms"] / 1e3))
        # bytes moved: 3 images read (28×28) and written (56×56), 4 bytes a pixel
        assert row["gb_per_s"] == pytest.approx(3 * (28 * 28 + 56 * 56) * 4 / (row["ms"] / 1e3) / 1e9)
    assert ("numpy repeat", "float32") in rows and ("torch nearest", "uint8") in rows
    assert "torch nearest" in capsys.readouterr().out


def test_numpy_alternatives_in_the_benchmark_compute_the_same_nearest():
    """What the benchmark times as equivalents of 'nearest' really are equivalent."""
    import numpy as np
    import torch

    from upsample_example import UpsampleExample

    bench = load("bench_upsample")
    calls = {method: call for method, dtype, call, _ in bench.contenders(4, torch.Generator().manual_seed(1))}
    floats = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1))  # the benchmark's first draw
    reference = UpsampleExample()(floats)[:, 0].numpy()
    np.testing.assert_array_equal(calls["numpy repeat"](), reference)
    np.testing.assert_array_equal(calls["numpy broadcast"](), reference)
    # from bytes to [0, 1] floats in both orders, each timed whole: the same tensor
    pixels = (floats * 255).to(torch.uint8)
    assert torch.equal(calls["torch nearest of uint8, then /255"](), UpsampleExample()(pixels.float() / 255))
    assert torch.equal(calls["torch uint8 /255, then nearest"](), UpsampleExample()(pixels.float() / 255))


def test_startup_measure_reads_one_childs_time_and_memory(tmp_path):
    """Measured from a small process, as the benchmark is run: a child's peak memory starts at its parent's."""
    script = f"""
import json, sys
sys.path.insert(0, {str(BENCHMARKS)!r})
from bench_startup import measure
small = measure([sys.executable, "-c", "pass"], {str(tmp_path)!r}, {{}})
large = measure([sys.executable, "-c", "block = bytearray(200 * 2**20); block[::4096] = bytes(51200)"], {str(tmp_path)!r}, {{}})
print(json.dumps([small, large]))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    (small_wall, small_mib), (large_wall, large_mib) = json.loads(result.stdout)
    assert small_wall > 0 and large_wall > 0 and 0 < small_mib < 100
    assert 180 < large_mib - small_mib < 260  # the 200 MiB block shows in that child's peak alone


def test_startup_measure_names_a_failing_command(tmp_path):
    bench = load("bench_startup")
    with pytest.raises(RuntimeError, match="exited 3"):
        bench.measure([sys.executable, "-c", "raise SystemExit(3)"], tmp_path, {})


@pytest.mark.parametrize(("side", "kernel"), [(56, "upsample_nearest2d_channels_last"), (64, "upsample_nearest2d_channels_last"),
                                              (65, "compute_indices_weights_nearest")], ids=["56", "64", "65"])
def test_the_kernel_rule_the_readme_explains(side, kernel):
    """torch names the kernel it dispatched to when it lacks a dtype: out_H + out_W <= 128 takes the channels_last one."""
    import torch
    import torch.nn.functional as F

    with pytest.raises(RuntimeError, match=f'"{kernel}" not implemented'):
        F.interpolate(torch.zeros(1, 1, 28, 28, dtype=torch.int32), size=(side, side), mode="nearest")


def test_torch_alternatives_in_the_benchmark_compute_the_same_nearest():
    """The expanded view, repeat_interleave and the compiled layer: each exactly F.interpolate(mode='nearest')."""
    import torch
    import torch.nn.functional as F

    bench = load("bench_upsample")
    calls = {method: call for method, dtype, call, _ in bench.contenders(4, torch.Generator().manual_seed(1))}
    floats = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1))  # the benchmark's first draw
    reference = F.interpolate(floats, scale_factor=2, mode="nearest")
    for method in ("torch expand/reshape view", "torch repeat_interleave", "torch.compile nearest"):
        assert torch.equal(calls[method](), reference), method


def test_decoder_workload_is_the_same_upsampling_in_both_layouts():
    import torch
    import torch.nn.functional as F

    bench = load("bench_upsample")
    generator = torch.Generator().manual_seed(0)
    rows = bench.decoder_contenders(generator)
    contiguous = torch.rand(32, 64, 32, 32, generator=torch.Generator().manual_seed(0))  # its first draw
    for method, layout, call, moved in rows[1:]:
        result = call()
        assert result.shape == (32, 64, 64, 64)
        assert result.is_contiguous(memory_format=torch.channels_last) == (layout == "channels_last")
        if method == bench.COPIES:  # the copies without the kernel: 4 bytes, read and written, in each of three copies
            assert moved == 4 * 2 * 32 * 64 * (32 * 32 + 2 * 64 * 64)
            continue
        assert moved == 32 * 64 * (32 * 32 + 64 * 64) * 4
        mode = "nearest" if method == bench.BY_HAND else method.split()[-1]
        torch.testing.assert_close(result, F.interpolate(contiguous, scale_factor=2, mode=mode), rtol=0, atol=1e-6)


@pytest.mark.parametrize(("layout", "side", "kernel"), [
    ("channels_last", 66, "upsample_nearest2d_channels_last"),  # channels_last with C > 3: always the vectorised one
    ("contiguous", 64, "upsample_nearest2d_channels_last"),  # 64 + 64 <= 128: the same kernel on an NCHW tensor
    ("contiguous", 66, "compute_indices_weights_nearest"),  # 66 + 66 > 128: the generic kernel
])
def test_the_kernel_rule_for_a_decoders_map(layout, side, kernel):
    """UpSampleKernel.cpp: channels_last and C > 3, or out_H + out_W <= 128, takes the vectorised channels_last kernel."""
    import torch
    import torch.nn.functional as F

    x = torch.zeros(2, 64, 32, 32, dtype=torch.int32)
    if layout == "channels_last":
        x = x.contiguous(memory_format=torch.channels_last)
    with pytest.raises(RuntimeError, match=f'"{kernel}" not implemented'):
        F.interpolate(x, size=(side, side), mode="nearest")


def test_torchs_alternatives_beat_the_layer_at_every_batch_size_as_the_readme_says():
    report = json.loads((BENCHMARKS / "throughput.json").read_text())
    threads = max(row["threads"] for row in report["results"])
    speed = {(row["method"], row["batch"]): row["images_per_s"] for row in report["results"]
             if row["threads"] == threads and row["input"] == "float32"}
    batches = sorted({batch for _, batch in speed})
    for method in ("torch expand/reshape view", "torch repeat_interleave", "torch.compile nearest"):
        for batch in batches:
            assert speed[(method, batch)] > speed[("torch nearest", batch)], (method, batch)
    decoder = {(row["method"], row["layout"]): row["ms"] for row in report["decoder"]}
    for mode in ("nearest", "bilinear"):
        assert decoder[(f"torch {mode}", "contiguous")] > 5 * decoder[(f"torch {mode}", "channels_last")]


@pytest.mark.parametrize(("mode", "kernel"), [("nearest-exact", "upsample_nearest2d_channels_last"),
                                              ("bilinear", "upsample_bilinear2d_channels_last"),
                                              ("bicubic", "compute_indices_weights_cubic")])
def test_at_56_nearest_exact_and_bilinear_take_the_channels_last_kernel_and_bicubic_its_generic_one(mode, kernel):
    import torch
    import torch.nn.functional as F

    with pytest.raises(RuntimeError, match=f'"{kernel}" not implemented'):
        F.interpolate(torch.zeros(1, 1, 28, 28, dtype=torch.int32), size=(56, 56), mode=mode)


TINY = ["--batches", "3", "--threads", "1", "--min-time", "0.001", "--samples", "1"]


def test_a_throughput_run_without_write_results_only_prints(tmp_path, capsys):
    results = tmp_path / "throughput.json"
    results.write_text("committed results\n")
    bench = load("bench_upsample")
    assert bench.main([*TINY, "--only", "torch nearest", "--json", str(results)]) == 0
    assert results.read_text() == "committed results\n" and list(tmp_path.iterdir()) == [results]
    output = capsys.readouterr().out
    assert "torch nearest" in output and "not written" in output


def test_only_with_write_results_appends_a_rerun_and_keeps_the_full_run(tmp_path):
    bench = load("bench_upsample")
    results = tmp_path / "throughput.json"
    full = {"machine": {"cpu": "x"}, "results": [{"method": "kept"}], "decoder": [{"method": "kept too"}]}
    results.write_text(json.dumps(full))
    only = ["torch nearest of uint8, then /255", "torch uint8 /255, then nearest"]
    assert bench.main([*TINY, "--only", *only, "--json", str(results), "--write-results"]) == 0
    report = json.loads(results.read_text())
    assert {key: report[key] for key in full} == full
    (rerun,) = report["reruns"]
    assert rerun["only"] == only and rerun["decoder"] == []  # no decoder method named: the decoder is not timed
    assert rerun["machine"]["cpu_capability"] == __import__("torch").backends.cpu.get_cpu_capability()
    assert [row["method"] for row in rerun["results"]] == ["copy (bandwidth roof)", *only]
    assert list(tmp_path.iterdir()) == [results]


def test_only_refuses_a_method_it_does_not_time(tmp_path):
    bench = load("bench_upsample")
    with pytest.raises(SystemExit):
        bench.main([*TINY, "--only", "torch nearest-neighbour", "--json", str(tmp_path / "throughput.json")])


@pytest.mark.parametrize("name", ["bench_upsample", "bench_startup"])
def test_results_are_written_atomically(tmp_path, monkeypatch, name):
    """Written to a temporary file beside the results, then renamed over them: if the rename fails, the old
    results stay whole and no temporary file is left behind."""
    import os

    write_results = load(name).write_results
    results = tmp_path / "results.json"
    write_results(results, {"a": 1})
    assert json.loads(results.read_text()) == {"a": 1} and list(tmp_path.iterdir()) == [results]
    umask = os.umask(0)
    os.umask(umask)
    assert results.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would make it, not mkstemp's 0o600
    results.chmod(0o640)
    write_results(results, {"a": 1})
    assert results.stat().st_mode & 0o777 == 0o640  # a rewrite keeps the file's permissions
    renames = []
    real_replace = os.replace

    def failing_replace(source, target):
        renames.append((Path(source).parent, Path(target)))
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_results(results, {"a": 2})
    assert renames == [(tmp_path, results)]  # the temporary file sat beside the results
    assert json.loads(results.read_text()) == {"a": 1} and list(tmp_path.iterdir()) == [results]
    monkeypatch.setattr(os, "replace", real_replace)
    write_results(results, {"a": 3})
    assert json.loads(results.read_text()) == {"a": 3}


def test_a_startup_run_writes_its_results_only_when_asked(tmp_path, monkeypatch, capsys):
    bench = load("bench_startup")
    measured = {name: {"wall_s": 1.0, "peak_mib": 600.0, "wall_s_all": [1.0]}
                for name in ("floor", "bare run", "frozen floor", "no teardown")}
    measured["ratio"] = {"wall": 1.0, "peak memory": 1.0}
    monkeypatch.setattr(bench, "compare", lambda runs: measured)  # the timing itself is the slow part
    results = tmp_path / "startup.json"
    results.write_text("committed results\n")
    bench.main(["--runs", "1", "--json", str(results)])
    assert results.read_text() == "committed results\n" and "not written" in capsys.readouterr().out
    bench.main(["--runs", "1", "--json", str(results), "--write-results"])
    assert json.loads(results.read_text()) == measured and list(tmp_path.iterdir()) == [results]


def test_the_readme_commands_write_results_only_with_the_flag():
    readme = (BENCHMARKS / "README.md").read_text()
    commands = [line for line in readme.splitlines() if line.startswith("python benchmarks/")]
    for command in commands:
        comment = command.split("#", 1)[-1]
        assert ("--write-results" in command) == bool(re.search(r"writes (benchmarks|lessons)/", comment)), command
    assert any("bench_startup.py --write-results" in command for command in commands)
    assert any("bench_upsample.py --write-results" in command for command in commands)


def test_findings_give_each_ratio_as_the_range_over_runs_and_thread_counts():
    bench = load("bench_upsample")

    def row(method, batch, threads, speed):
        return {"method": method, "input": "uint8→float32", "batch": batch, "threads": threads, "images_per_s": speed}

    def rerun(capability, first, later, nearest_ms):
        return {"machine": {"cpu": "a CPU", "cpu_capability": capability}, "only": [],
                "results": [row("torch nearest of uint8, then /255", 10, 2, first),
                            row("torch uint8 /255, then nearest", 10, 2, later)],
                "decoder": [{"method": "torch nearest", "layout": "contiguous", "threads": 1, "ms": nearest_ms},
                            {"method": "torch nearest", "layout": "channels_last", "threads": 1, "ms": 1.0},
                            {"method": bench.BY_HAND, "layout": "contiguous", "threads": 1, "ms": 20.0},
                            {"method": bench.COPIES, "layout": "contiguous", "threads": 1, "ms": 15.0}]}

    report = {"machine": {}, "results": [], "decoder": [],
              "reruns": [rerun("AVX512", 150.0, 100.0, 20.0), rerun("DEFAULT", 120.0, 100.0, 24.0)]}
    (conversion,) = bench.conversion_finding(report)
    assert "1.20–1.50× at 10 images (2 measurements each on a CPU: CPU kernels AVX512, DEFAULT; 2 threads)" in conversion
    layout, by_hand = bench.decoder_findings(report)
    assert "contiguous takes 20.0–24.0× (2 measurements on a CPU: CPU kernels AVX512, DEFAULT; 1 thread)" in layout
    assert "1.00–1.20× (2 measurements" in by_hand  # 20/20 and 24/20
    assert "the three layout copies alone take 62–75% (2 measurements" in by_hand  # 15/24 and 15/20
    # measurements on two CPUs: a range for each
    report["reruns"][1]["machine"]["cpu"] = "another CPU"
    layout, _ = bench.decoder_findings(report)
    assert "20.0× (1 measurement on a CPU: CPU kernels AVX512; 1 thread), 24.0× (1 measurement on another CPU" in layout


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_the_channels_last_kernel_copies_a_contiguous_input_in_and_its_output_back(mode):
    """UpSampleKernel.cpp, cpu_upsample_{nearest,linear}_channels_last: input_.contiguous(ChannelsLast),
    output_.contiguous(ChannelsLast), the loop, then output_.copy_(output) when output_ is not channels_last. The
    profiler sees those operators inside the layer's, for a contiguous 64-channel map and for no channels_last one;
    a one-channel NCHW tensor is already channels_last-contiguous, so nothing is copied."""
    import torch
    import torch.nn.functional as F
    from torch.profiler import profile

    def inner_operators(tensor):
        F.interpolate(tensor, scale_factor=2, mode=mode)
        with profile() as trace:
            F.interpolate(tensor, scale_factor=2, mode=mode)
        top = next(event for event in trace.events() if event.name == f"aten::upsample_{mode}2d")
        return [event.name for event in trace.events() if event.cpu_parent is not None
                and event.cpu_parent.id == top.id]

    feature_map = torch.rand(2, 64, 32, 32)
    assert inner_operators(feature_map) == ["aten::contiguous", "aten::contiguous", "aten::copy_"]
    assert inner_operators(feature_map.contiguous(memory_format=torch.channels_last)) == []
    assert inner_operators(torch.rand(2, 1, 28, 28)) == []


def test_the_by_hand_row_runs_the_operators_the_layer_runs_inside():
    import torch
    from torch.profiler import profile

    bench = load("bench_upsample")
    by_hand = {method: call for method, _, call, _ in bench.decoder_contenders(torch.Generator().manual_seed(0))}
    by_hand = by_hand[bench.BY_HAND]
    by_hand()
    with profile() as trace:
        by_hand()
    top_level = [event.name for event in trace.events() if event.cpu_parent is None]
    assert top_level == ["aten::empty", "aten::contiguous", "aten::contiguous", "aten::upsample_nearest2d", "aten::copy_"]


def test_the_committed_reruns_are_the_ones_the_readme_describes():
    """Twice with torch's own CPU kernels and twice with ATEN_CPU_CAPABILITY=default, each at 2 threads and at 1,
    with the rows the last findings compare."""
    report = json.loads((BENCHMARKS / "throughput.json").read_text())
    reruns = report["reruns"]
    kernels = sorted(rerun["machine"]["cpu_capability"] == "DEFAULT" for rerun in reruns)
    assert kernels == [False, False, True, True]
    bench = load("bench_upsample")
    for rerun in reruns:
        assert {row["threads"] for row in rerun["results"]} == {row["threads"] for row in rerun["decoder"]} == {1, 2}
        assert {"torch nearest of uint8, then /255", "torch uint8 /255, then nearest", bench.BY_HAND,
                bench.COPIES} <= set(rerun["only"])
