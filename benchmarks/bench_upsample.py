"""Throughput of UpsampleExample on MNIST-shaped batches, beside what users reach for instead.

Every 2D mode upsamples batches of (N, 1, 28, 28) images to 56×56. In the same run, on the same
inputs: a plain copy of an output-sized buffer (the memory-bandwidth roof), NumPy's repeat and
broadcasting for 'nearest', torch's own alternatives (an expanded view, repeat_interleave, torch.compile),
Pillow's and OpenCV's resize one image at a time, uint8 against float32 input, channels_last, and one
thread against all. Then a decoder-shaped workload, (32, 64, 32, 32) → 64×64, contiguous and
channels_last, beside the steps torch's kernel takes for a contiguous input, done by hand. Each time is the
median of several samples, each sample long enough to be measured, the samples of the rows compared
taken in rounds (see ``time_calls``).

    python benchmarks/bench_upsample.py                   # prints the results; writes nothing
    python benchmarks/bench_upsample.py --write-results   # and replaces benchmarks/throughput.json
    python benchmarks/bench_upsample.py --only "torch nearest of uint8, then /255" --write-results
                                    # re-measures those rows (and the copy roof) side by side, appended as a rerun
    python benchmarks/bench_upsample.py --batches 10 1000 --min-time 0.01
    python benchmarks/bench_upsample.py --markdown        # the README's tables, from benchmarks/throughput.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from upsample_example import MODES, UpsampleExample  # noqa: E402
from upsample_files import write_atomically  # noqa: E402

SIDE_IN, SIDE_OUT = 28, 56
MODES_2D = [mode for mode, dims in MODES.items() if dims in (None, 2)]


def time_calls(functions: Sequence[Callable[[], object]], min_time: float, samples: int) -> list[float]:
    """Median seconds per call of each function. Each is warmed up, then repeated in every sample until the
    sample has run at least ``min_time``; the samples are taken in rounds, one of each function per round, so
    that a change in the machine's load during the measurement falls on every function alike."""
    repeats = []
    for function in functions:
        function()  # warm up: first-call allocations, dispatch, compilation
        start, calls = time.perf_counter(), 0
        while time.perf_counter() - start < min_time:
            function()
            calls += 1
        repeats.append(max(calls, 1))
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(samples):
        for function, count, kept in zip(functions, repeats, times, strict=True):
            start = time.perf_counter()
            for _ in range(count):
                function()
            kept.append((time.perf_counter() - start) / count)
    return [statistics.median(kept) for kept in times]


def time_call(function: Callable[[], object], min_time: float, samples: int) -> float:
    """Median seconds per call of one function (see ``time_calls``)."""
    return time_calls([function], min_time, samples)[0]


def contenders(batch: int, generator: torch.Generator) -> list[tuple[str, str, Callable[[], object], int]]:
    """(method, input, the call, bytes it reads and writes) for one batch size."""
    floats = torch.rand(batch, 1, SIDE_IN, SIDE_IN, generator=generator)
    as_bytes = (floats * 255).to(torch.uint8)
    images, pixels = floats.numpy()[:, 0], as_bytes.numpy()[:, 0]
    moved = {torch.float32: batch * (SIDE_IN**2 + SIDE_OUT**2) * 4, torch.uint8: batch * (SIDE_IN**2 + SIDE_OUT**2)}
    roof_source = torch.rand(batch, 1, SIDE_OUT, SIDE_OUT, generator=generator)
    roof_target = torch.empty_like(roof_source)

    rows = [("copy (bandwidth roof)", "float32", lambda: roof_target.copy_(roof_source), 2 * roof_source.nbytes),
            # Upsampling allocates its output each call; so does clone, unlike the copy into a kept buffer.
            ("clone (allocate, then copy)", "float32", roof_source.clone, 2 * roof_source.nbytes)]
    for mode in MODES_2D:
        model = UpsampleExample(mode=mode)
        rows.append((f"torch {mode}", "float32", lambda model=model: model(floats), moved[torch.float32]))
    for mode in ("nearest", "bilinear", "bicubic"):
        model = UpsampleExample(mode=mode)
        rows.append((f"torch {mode}", "uint8", lambda model=model: model(as_bytes), moved[torch.uint8]))
    nearest = UpsampleExample()
    last = floats.contiguous(memory_format=torch.channels_last)
    rows.append(("torch nearest, channels_last", "float32", lambda: nearest(last), moved[torch.float32]))
    # From uint8 pixels to [0, 1] floats, the two orders, each timed whole (its conversion included): upsample
    # the bytes, then convert; or convert, then upsample. Both give the float32 result, so both are counted
    # with the float32 path's bytes.
    rows.append(("torch nearest of uint8, then /255", "uint8→float32",
                 lambda: nearest(as_bytes).float().div_(255), moved[torch.float32]))
    rows.append(("torch uint8 /255, then nearest", "uint8→float32",
                 lambda: nearest(as_bytes.float().div_(255)), moved[torch.float32]))
    # Torch-native ways to double with 'nearest': a broadcast view made contiguous, repeat_interleave, and
    # the layer compiled by torch.compile (time_calls's warm-up call compiles it).
    rows.append(("torch expand/reshape view", "float32",
                 lambda: floats[:, :, :, None, :, None].expand(batch, 1, SIDE_IN, 2, SIDE_IN, 2)
                 .reshape(batch, 1, SIDE_OUT, SIDE_OUT), moved[torch.float32]))
    rows.append(("torch repeat_interleave", "float32",
                 lambda: floats.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3), moved[torch.float32]))
    compiled = torch.compile(UpsampleExample(), dynamic=False)
    rows.append(("torch.compile nearest", "float32", lambda: compiled(floats), moved[torch.float32]))
    rows.append(("numpy repeat", "float32",
                 lambda: np.repeat(np.repeat(images, 2, axis=1), 2, axis=2), moved[torch.float32]))
    rows.append(("numpy broadcast", "float32",
                 lambda: np.broadcast_to(images[:, :, None, :, None], (batch, SIDE_IN, 2, SIDE_IN, 2))
                 .reshape(batch, SIDE_OUT, SIDE_OUT), moved[torch.float32]))
    try:
        import cv2

        for name, flag in (("nearest", cv2.INTER_NEAREST), ("bilinear", cv2.INTER_LINEAR)):
            def resize_each(flag=flag):
                return [cv2.resize(image, (SIDE_OUT, SIDE_OUT), interpolation=flag) for image in images]

            rows.append((f"opencv {name}, per image", "float32", resize_each, moved[torch.float32]))
    except ImportError:
        pass
    try:
        from PIL import Image

        pillow_images = [Image.fromarray(image) for image in pixels]
        for name, flag in (("nearest", Image.NEAREST), ("bilinear", Image.BILINEAR)):
            rows.append((f"pillow {name}, per image", "uint8",
                         lambda flag=flag: [image.resize((SIDE_OUT, SIDE_OUT), flag) for image in pillow_images],
                         moved[torch.uint8]))
    except ImportError:
        pass
    return rows


DECODER = (32, 64, 32, 64)  # N, C, side in, side out: a decoder's feature map doubled
BY_HAND = "torch nearest by hand: to channels_last, the kernel, back"
COPIES = "the three layout copies alone"
ROOF = "copy (bandwidth roof)"


def decoder_contenders(generator: torch.Generator) -> list[tuple[str, str, Callable[[], object], int]]:
    """(method, layout, the call, bytes moved) for a decoder-shaped workload: (32, 64, 32, 32) → 64×64.

    Beside the layer in both layouts: what torch's channels_last nearest kernel does with a contiguous input
    (``cpu_upsample_nearest_channels_last`` in aten/src/ATen/native/cpu/UpSampleKernel.cpp), done by hand with
    the same operators: a channels_last copy of the input, a channels_last copy of the contiguous output tensor
    it was given, the kernel on those, and a copy back into the contiguous output; and those three copies alone.
    """
    batch, channels, side_in, side_out = DECODER
    contiguous = torch.rand(batch, channels, side_in, side_in, generator=generator)
    last = contiguous.contiguous(memory_format=torch.channels_last)
    moved = batch * channels * (side_in**2 + side_out**2) * 4
    roof_source = torch.rand(batch, channels, side_out, side_out, generator=generator)
    roof_target = torch.empty_like(roof_source)
    rows = [(ROOF, "contiguous", lambda: roof_target.copy_(roof_source), 2 * roof_source.nbytes)]
    for mode in ("nearest", "bilinear"):
        model = UpsampleExample(scale_factor=2, mode=mode)
        for layout, tensor in (("contiguous", contiguous), ("channels_last", last)):
            rows.append((f"torch {mode}", layout, lambda model=model, tensor=tensor: model(tensor), moved))

    def steps(run_kernel: bool) -> torch.Tensor:
        output = torch.empty(batch, channels, side_out, side_out)  # what the operator allocates: contiguous
        source = contiguous.contiguous(memory_format=torch.channels_last)  # copy 1: the input
        target = output.contiguous(memory_format=torch.channels_last)  # copy 2: the (unwritten) output
        if run_kernel:
            torch.ops.aten.upsample_nearest2d.out(source, [side_out, side_out], None, None, out=target)
        return output.copy_(target)  # copy 3: back into the contiguous output

    copied = 4 * batch * channels * 2 * (side_in**2 + 2 * side_out**2)  # each copy reads and writes
    rows.append((BY_HAND, "contiguous", lambda: steps(True), moved))
    rows.append((COPIES, "contiguous", lambda: steps(False), copied))
    return rows


def selected(rows: list, only: Sequence[str] | None) -> list:
    """The rows whose method is in ``only`` (all rows if it is None), with the copy roof first; none if ``only``
    names none of them."""
    if only is not None and not any(row[0] in only for row in rows if row[0] != ROOF):
        return []
    return [row for row in rows if only is None or row[0] == ROOF or row[0] in only]


def run_decoder(threads: Sequence[int], min_time: float, samples: int, only: Sequence[str] | None = None
                ) -> list[dict]:
    """Time the decoder-shaped workload with each of ``threads`` torch threads."""
    default_threads = torch.get_num_threads()
    results = []
    try:
        rows = selected(decoder_contenders(torch.Generator().manual_seed(0)), only)
        for count in threads:
            torch.set_num_threads(count)
            copy_rate = None
            timed = time_calls([call for _, _, call, _ in rows], min_time, samples)
            for (method, layout, _, moved), seconds in zip(rows, timed, strict=True):
                rate = moved / seconds / 1e9
                copy_rate = copy_rate or rate
                results.append({"method": method, "layout": layout, "threads": count, "ms": seconds * 1e3,
                                "gb_per_s": rate, "of_copy": rate / copy_rate})
        return results
    finally:
        torch.set_num_threads(default_threads)


def run(batches: Sequence[int], threads: Sequence[int], min_time: float, samples: int, progress=None,
        only: Sequence[str] | None = None) -> list[dict]:
    """Time every contender (or those in ``only``, beside the copy roof) at every batch size and thread count;
    ``progress(text)`` hears of each step."""
    results = []
    generator = torch.Generator().manual_seed(0)
    default_threads = torch.get_num_threads()
    try:
        for batch in batches:
            rows = selected(contenders(batch, generator), only)
            for count in threads:
                if progress:
                    progress(f"timing batches of {batch} with {count} thread(s)")
                torch.set_num_threads(count)
                copy_rate = None
                # NumPy, OpenCV and Pillow do not follow torch's thread count: timed with the first count only
                counted = [row for row in rows if count == threads[0] or row[0].startswith(("torch", "copy"))]
                timed = time_calls([call for _, _, call, _ in counted], min_time, samples)
                for (method, dtype, _, moved), seconds in zip(counted, timed, strict=True):
                    rate = moved / seconds / 1e9
                    copy_rate = copy_rate or rate
                    results.append({"batch": batch, "threads": count, "method": method, "input": dtype,
                                    "ms": seconds * 1e3, "images_per_s": batch / seconds, "gb_per_s": rate,
                                    "of_copy": rate / copy_rate})
    finally:
        torch.set_num_threads(default_threads)
    return results


def machine() -> dict:
    """What the numbers were measured on."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cpus": os.cpu_count(), "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "torch_threads": torch.get_num_threads(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "timing": "samples in rounds"}


def write_results(path: Path, report: dict) -> None:
    """Write ``report`` as JSON to ``path`` as the tutorial saves its figure: into a temporary file beside it,
    then renamed over it, so that a reader (or a failed run) never finds it half written."""
    write_atomically(path, lambda file: file.write((json.dumps(report, indent=2) + "\n").encode()))


def markdown(report: dict) -> str:
    """The README's tables from a results file: every method at each batch size (all threads), then threads."""
    results, info = report["results"], report["machine"]
    all_threads = max(row["threads"] for row in results)
    batches = sorted({row["batch"] for row in results})
    by_key = {(row["method"], row["input"], row["batch"], row["threads"]): row for row in results}
    methods = list(dict.fromkeys((row["method"], row["input"]) for row in results))
    lines = [f"Measured on {info['cpu']}, {info['cpus']} CPUs, torch {info['torch']}, {all_threads} threads; "
             "images/s (GB/s moved, share of the copy roof's GB/s):", "",
             "| method | input | " + " | ".join(f"{batch:,} images" for batch in batches) + " |",
             "| --- | --- | " + " | ".join("---:" for _ in batches) + " |"]
    for method, dtype in methods:
        cells = []
        for batch in batches:
            row = by_key.get((method, dtype, batch, all_threads))
            cells.append("" if row is None else
                         f"{row['images_per_s']:,.0f} ({row['gb_per_s']:.2f} GB/s, {row['of_copy']:.0%})")
        lines.append(f"| {method} | {dtype} | " + " | ".join(cells) + " |")
    largest, counts = batches[-1], sorted({row["threads"] for row in results})
    if len(counts) > 1:
        lines += ["", f"Threads, at {largest:,} images: images/s", "",
                  "| method | input | " + " | ".join(f"{count} thread(s)" for count in counts) + " |",
                  "| --- | --- | " + " | ".join("---:" for _ in counts) + " |"]
        for method, dtype in methods:
            rows = [by_key.get((method, dtype, largest, count)) for count in counts]
            if all(rows):
                speeds = " | ".join(f"{row['images_per_s']:,.0f}" for row in rows)
                lines.append(f"| {method} | {dtype} | {speeds} |")
    if report.get("decoder"):
        batch, channels, side_in, side_out = DECODER
        decoder_threads = report["decoder"][0]["threads"]
        rows = [row for row in report["decoder"] if row["threads"] == decoder_threads]
        lines += ["", f"A decoder's feature map, ({batch}, {channels}, {side_in}, {side_in}) → {side_out}×{side_out}, "
                      f"float32, {decoder_threads} threads: ms per call (GB/s moved, share of the copy "
                      "roof's GB/s):", "", "| method | contiguous | channels_last |", "| --- | ---: | ---: |"]
        decoder = {(row["method"], row["layout"]): row for row in rows}
        for method in dict.fromkeys(row["method"] for row in rows):
            cells = [decoder.get((method, layout)) for layout in ("contiguous", "channels_last")]
            lines.append(f"| {method} | " + " | ".join(
                "" if row is None else f"{row['ms']:.2f} ({row['gb_per_s']:.1f} GB/s, {row['of_copy']:.0%})"
                for row in cells) + " |")
    if report.get("reruns"):
        lines += ["", "Rows re-measured later, side by side with each other and a copy roof of their own (`--only`):",
                  "", "| rerun | CPU | CPU kernels | threads | rows |", "| ---: | --- | --- | --- | --- |"]
        for number, rerun in enumerate(report["reruns"], start=1):
            info = rerun["machine"]
            counts = sorted({row["threads"] for row in rerun["results"] + rerun["decoder"]})
            lines.append(f"| {number} | {info['cpu']}, {info['cpus']} CPUs, torch {info['torch']} | "
                         f"{info['cpu_capability']} | {', '.join(map(str, counts))} | {'; '.join(rerun['only'])} |")
    reading = ["", "What the numbers say, each computed from the same file:", "", *findings(report)]
    return "\n".join([*lines, *reading]) + "\n"


def findings(report: dict) -> list[str]:
    """The README's reading of the tables: one bullet a finding, every number in it computed from ``report``."""
    results = report["results"]
    all_threads = max(row["threads"] for row in results)
    batches = sorted({row["batch"] for row in results})
    largest, counts = batches[-1], sorted({row["threads"] for row in results})
    rows = {(row["method"], row["input"], row["batch"], row["threads"]): row for row in results}

    def speed(method: str, dtype: str, batch: int, threads: int = all_threads) -> float:
        return rows[(method, dtype, batch, threads)]["images_per_s"]

    layer = {f"torch {mode}" for mode in MODES_2D}
    kernels = [row for row in results if row["method"] in layer and row["input"] == "float32"
               and row["threads"] == all_threads]
    rates, shares = [row["gb_per_s"] for row in kernels], [row["of_copy"] for row in kernels]
    lines = [f"- The layer's float32 rows (torch and a mode) move {min(rates):.2f}–{max(rates):.2f} GB/s, "
             f"{min(shares):.0%}–{max(shares):.0%} of what a plain copy moves in the same run."]
    clone = rows[("clone (allocate, then copy)", "float32", largest, all_threads)]["of_copy"]
    lines.append(f"- A clone, which allocates a fresh output and copies into it, reaches {clone:.0%} of the copy at "
                 f"{largest:,} images; every call of the layer allocates its output too.")
    doubles = ("torch nearest", "torch expand/reshape view", "torch repeat_interleave", "torch.compile nearest",
               "numpy repeat", "numpy broadcast", "opencv nearest, per image")  # the same 2× result
    for batch in batches:
        fastest = max(doubles, key=lambda method: speed(method, "float32", batch))
        ratio = speed(fastest, "float32", batch) / speed("torch nearest", "float32", batch)
        lines.append(f"- At {batch:,} images the fastest exact 2× nearest on float32 is {fastest}, "
                     f"{ratio:.1f}× torch nearest's images/s.")
    for method in ("torch expand/reshape view", "torch repeat_interleave", "torch.compile nearest"):
        if all((method, "float32", batch, all_threads) in rows for batch in batches):
            lines.append(f"- {method}, against torch nearest: " + ", ".join(
                f"{speed(method, 'float32', batch) / speed('torch nearest', 'float32', batch):.1f}× at {batch:,}"
                for batch in batches) + " images.")
    for mode in ("nearest", "bilinear", "bicubic"):
        ratios = [speed(f"torch {mode}", "uint8", batch) / speed(f"torch {mode}", "float32", batch)
                  for batch in batches]
        lines.append(f"- uint8 against float32 input, torch {mode}: " + ", ".join(
            f"{ratio:.1f}× at {batch:,}" for ratio, batch in zip(ratios, batches, strict=True)) + " images.")
    if len(counts) > 1:
        gains = {row["method"]: speed(row["method"], row["input"], largest, counts[-1])
                 / speed(row["method"], row["input"], largest, counts[0])
                 for row in results if row["batch"] == largest and row["threads"] == counts[0]
                 and row["method"].startswith("torch ")}
        copy_gain = (speed("copy (bandwidth roof)", "float32", largest, counts[-1])
                     / speed("copy (bandwidth roof)", "float32", largest, counts[0]))
        lines.append(f"- {counts[-1]} threads against {counts[0]} at {largest:,} images: the copy {copy_gain:.1f}×, "
                     f"torch's rows {min(gains.values()):.1f}–{max(gains.values()):.1f}×.")
    lines += conversion_finding(report) + decoder_findings(report)
    return lines


def runs(report: dict) -> list[dict]:
    """The full run and every rerun of ``report``, each with its machine, results and decoder rows."""
    full = {"machine": report["machine"], "results": report["results"], "decoder": report.get("decoder", [])}
    return [full, *report.get("reruns", [])]


def span(values: Sequence[float], percent: bool = False) -> str:
    """'a–b×' (or 'a–b%'), or one number where the range rounds to one."""
    low, high = (f"{value:.0%}" if percent else f"{value:.1f}×" if value >= 10 else f"{value:.2f}×"
                 for value in (min(values), max(values)))
    return low if low == high else f"{low.rstrip('×%')}–{high}"


def measured_on(ratios: Sequence[tuple[float, dict, int]], each: int | None = None) -> str:
    """What ``ratios`` were measured on: how many measurements (``each`` of them per case, if given), the CPU,
    its kernels and the thread counts."""
    count = each or len(ratios)
    cpus = sorted({machine.get("cpu", "unrecorded") for _, machine, _ in ratios})
    kernels = sorted({machine.get("cpu_capability", "unrecorded") for _, machine, _ in ratios})
    threads = sorted({threads for _, _, threads in ratios})
    return (f"{count} measurement{'s' * (count > 1)}{' each' if each else ''} on {' and '.join(cpus)}: CPU kernels "
            f"{', '.join(kernels)}; {' and '.join(map(str, threads))} thread{'s' * (threads != [1])}")


def spread(ratios: Sequence[tuple[float, dict, int]], percent: bool = False) -> str:
    """The range of the (ratio, machine, threads) ``ratios``, CPU by CPU, each with what it was measured on."""
    by_cpu: dict[str, list] = {}
    for ratio in ratios:
        by_cpu.setdefault(ratio[1].get("cpu", "unrecorded"), []).append(ratio)
    return ", ".join(f"{span([value for value, _, _ in group], percent)} ({measured_on(group)})"
                     for _, group in sorted(by_cpu.items(), key=lambda item: -len(item[1])))


def conversion_finding(report: dict) -> list[str]:
    """From uint8 pixels to floats, upsampling first against converting first, both timed whole, in every run
    that measured both, at every batch size and thread count."""
    first, later = "torch nearest of uint8, then /255", "torch uint8 /255, then nearest"
    by_batch: dict[int, list] = {}
    for run_ in runs(report):
        speed = {(row["method"], row["batch"], row["threads"]): row["images_per_s"] for row in run_["results"]}
        for (method, batch, threads), value in speed.items():
            if method == first and (later, batch, threads) in speed:
                by_batch.setdefault(batch, []).append((value / speed[(later, batch, threads)], run_["machine"],
                                                       threads))
    if not by_batch:
        return []
    counts = {len(ratios) for ratios in by_batch.values()}
    every = [ratio for ratios in by_batch.values() for ratio in ratios]
    return ["- From uint8 pixels to [0, 1] floats, upsampling the bytes first against converting first (each "
            "timed whole, its conversion included), in images/s: " + ", ".join(
                f"{span([value for value, _, _ in ratios])} at {batch:,}" for batch, ratios in sorted(by_batch.items()))
            + f" images ({measured_on(every, each=counts.pop() if len(counts) == 1 else None)})."]


def decoder_findings(report: dict) -> list[str]:
    """The decoder's layouts, and the contiguous call against its kernel's steps by hand, over every run and
    thread count that measured them."""
    found: dict[str, list] = {"nearest": [], "bilinear": [], "by hand": [], "copies": []}
    for run_ in runs(report):
        ms = {(row["method"], row["layout"], row["threads"]): row["ms"] for row in run_["decoder"]}
        for threads in sorted({row["threads"] for row in run_["decoder"]}):
            for mode in ("nearest", "bilinear"):
                contiguous = ms.get((f"torch {mode}", "contiguous", threads))
                last = ms.get((f"torch {mode}", "channels_last", threads))
                if contiguous and last:
                    found[mode].append((contiguous / last, run_["machine"], threads))
            layer, by_hand = ms.get(("torch nearest", "contiguous", threads)), ms.get((BY_HAND, "contiguous", threads))
            copies = ms.get((COPIES, "contiguous", threads))
            if layer and by_hand and copies:
                found["by hand"].append((layer / by_hand, run_["machine"], threads))
                found["copies"].append((copies / layer, run_["machine"], threads))
    lines = [f"- The decoder's map, {mode}: contiguous takes {spread(found[mode])} as long as channels_last."
             for mode in ("nearest", "bilinear") if found[mode]]
    if found["by hand"]:
        lines.append(f"- The decoder's map, nearest, contiguous: {spread(found['by hand'])} the time of its kernel's "
                     f"steps done by hand; the three layout copies alone take {spread(found['copies'], True)} of "
                     "the layer's time.")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[10, 1000, 60000],
                        help="batch sizes (default: %(default)s)")
    parser.add_argument("--threads", type=int, nargs="+", default=[torch.get_num_threads(), 1],
                        help="torch thread counts (default: all, then one: %(default)s)")
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per sample (default: %(default)s)")
    parser.add_argument("--samples", type=int, default=5, help="samples per median (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=HERE / "throughput.json",
                        help="the results file: read by --markdown, written by --write-results")
    parser.add_argument("--write-results", action="store_true",
                        help="write the results to --json (atomically); without it, a run only prints")
    parser.add_argument("--only", nargs="+", metavar="METHOD",
                        help="time only these methods (and the copy roof); with --write-results, append them to "
                             "--json as a rerun, leaving its other results as they are")
    parser.add_argument("--markdown", action="store_true",
                        help="measure nothing: print the README's tables from the results in --json")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(args.json.read_text())), end="")
        return 0
    if args.only:
        known = {row[0] for row in contenders(1, torch.Generator().manual_seed(0))}
        known |= {row[0] for row in decoder_contenders(torch.Generator().manual_seed(0))}
        unknown = sorted(set(args.only) - known)
        if unknown:
            parser.error(f"unknown methods {unknown}; the methods are {sorted(known)}")
    if args.write_results and args.only and not args.json.exists():
        parser.error(f"--only appends a rerun to {args.json}, which does not exist: write a full run first")

    info = machine()
    print(f"{info['cpu']}, {info['cpus']} CPUs, torch {info['torch']}, CPU kernels {info['cpu_capability']}")
    results = run(args.batches, args.threads, args.min_time, args.samples,
                  progress=lambda text: print(text, file=sys.stderr, flush=True), only=args.only)
    header = ("batch", "threads", "method", "input", "ms", "images/s", "GB/s", "of copy")
    print("{:>6} {:>7}  {:<36} {:<14} {:>9} {:>11} {:>6} {:>8}".format(*header))
    for row in results:
        print(f"{row['batch']:>6} {row['threads']:>7}  {row['method']:<36} {row['input']:<14} {row['ms']:>9.3f} "
              f"{row['images_per_s']:>11,.0f} {row['gb_per_s']:>6.2f} {row['of_copy']:>7.0%}")
    decoder = run_decoder(args.threads if args.only else args.threads[:1], args.min_time, args.samples, args.only)
    for row in decoder:
        print(f"decoder {row['threads']} thread(s) {row['method']:<58} {row['layout']:<14} {row['ms']:>9.3f} ms "
              f"{row['gb_per_s']:>6.2f} GB/s {row['of_copy']:>7.0%}")
    if not args.write_results:
        print(f"(not written: --write-results writes them to {args.json})")
        return 0
    if args.only:
        report = json.loads(args.json.read_text())
        report.setdefault("reruns", []).append({"machine": info, "only": args.only, "results": results,
                                                "decoder": decoder})
    else:
        report = {"machine": info, "results": results, "decoder": decoder}
    write_results(args.json, report)
    print(f"wrote {args.json}")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
