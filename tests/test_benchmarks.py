"""The benchmarks run and report consistent numbers (smoke runs on tiny sizes; the speeds come from the benchmarks)."""

from __future__ import annotations

import importlib.util
import json
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
    assert bench.main(["--batches", "3", "--threads", "1", "--min-time", "0.001", "--samples", "1", "--json", str(output)]) == 0
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
    # the tutorial's pipeline in the other order: upsample the bytes, then scale to [0, 1]; identical to scaling first
    pixels = (floats * 255).to(torch.uint8)
    assert torch.equal(calls["torch nearest of uint8, then /255"](), UpsampleExample()(pixels.float() / 255))


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
        assert result.shape == (32, 64, 64, 64) and moved == 32 * 64 * (32 * 32 + 64 * 64) * 4
        assert result.is_contiguous(memory_format=torch.channels_last) == (layout == "channels_last")
        torch.testing.assert_close(result, F.interpolate(contiguous, scale_factor=2, mode=method.split()[-1]),
                                   rtol=0, atol=1e-6)


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
