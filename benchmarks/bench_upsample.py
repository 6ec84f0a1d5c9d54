"""Throughput of UpsampleExample on MNIST-shaped batches, beside what users reach for instead.

Every 2D mode upsamples batches of (N, 1, 28, 28) images to 56×56. In the same run, on the same
inputs: a plain copy of an output-sized buffer (the memory-bandwidth roof), NumPy's repeat and
broadcasting for 'nearest', torch's own alternatives (an expanded view, repeat_interleave, torch.compile),
Pillow's and OpenCV's resize one image at a time, uint8 against float32 input, channels_last, and one
thread against all. Then a decoder-shaped workload, (32, 64, 32, 32) → 64×64, contiguous and
channels_last. Each time is the median of several samples, each sample long enough to be measured (see ``time_call``).

    python benchmarks/bench_upsample.py              # prints a table, writes benchmarks/throughput.json
    python benchmarks/bench_upsample.py --batches 10 1000 --min-time 0.01
    python benchmarks/bench_upsample.py --markdown   # the README's tables, from benchmarks/throughput.json
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

SIDE_IN, SIDE_OUT = 28, 56
MODES_2D = [mode for mode, dims in MODES.items() if dims in (None, 2)]


def time_call(function: Callable[[], object], min_time: float, samples: int) -> float:
    """Median seconds per call: each sample repeats the call until it has run at least ``min_time``."""
    function()  # warm up: first-call allocations and dispatch
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < min_time:
        function()
        calls += 1
    per_sample = max(calls, 1)
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(per_sample):
            function()
        times.append((time.perf_counter() - start) / per_sample)
    return statistics.median(times)


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
    # The tutorial's pipeline upsampled in the other order: bytes first, then to [0, 1] floats. It gives the
    # float32 result, so it is counted with the float32 path's bytes.
    rows.append(("torch nearest of uint8, then /255", "uint8→float32",
                 lambda: nearest(as_bytes).float().div_(255), moved[torch.float32]))
    # Torch-native ways to double with 'nearest': a broadcast view made contiguous, repeat_interleave, and
    # the layer compiled by torch.compile (time_call's warm-up call compiles it).
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


def decoder_contenders(generator: torch.Generator) -> list[tuple[str, str, Callable[[], object], int]]:
    """(method, layout, the call, bytes moved) for a decoder-shaped workload: (32, 64, 32, 32) → 64×64."""
    batch, channels, side_in, side_out = DECODER
    contiguous = torch.rand(batch, channels, side_in, side_in, generator=generator)
    last = contiguous.contiguous(memory_format=torch.channels_last)
    moved = batch * channels * (side_in**2 + side_out**2) * 4
    roof_source = torch.rand(batch, channels, side_out, side_out, generator=generator)
    roof_target = torch.empty_like(roof_source)
    rows = [("copy (bandwidth roof)", "contiguous", lambda: roof_target.copy_(roof_source), 2 * roof_source.nbytes)]
    for mode in ("nearest", "bilinear"):
        model = UpsampleExample(scale_factor=2, mode=mode)
        for layout, tensor in (("contiguous", contiguous), ("channels_last", last)):
            rows.append((f"torch {mode}", layout, lambda model=model, tensor=tensor: model(tensor), moved))
    return rows


def run_decoder(threads: int, min_time: float, samples: int) -> list[dict]:
    """Time the decoder-shaped workload with ``threads`` torch threads."""
    default_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        results, copy_rate = [], None
        for method, layout, call, moved in decoder_contenders(torch.Generator().manual_seed(0)):
            seconds = time_call(call, min_time, samples)
            rate = moved / seconds / 1e9
            copy_rate = copy_rate or rate
            results.append({"method": method, "layout": layout, "threads": threads, "ms": seconds * 1e3,
                            "gb_per_s": rate, "of_copy": rate / copy_rate})
        return results
    finally:
        torch.set_num_threads(default_threads)


def run(batches: Sequence[int], threads: Sequence[int], min_time: float, samples: int, progress=None) -> list[dict]:
    """Time every contender at every batch size and thread count; ``progress(text)`` hears of each step."""
    results = []
    generator = torch.Generator().manual_seed(0)
    default_threads = torch.get_num_threads()
    try:
        for batch in batches:
            rows = contenders(batch, generator)
            for count in threads:
                if progress:
                    progress(f"timing batches of {batch} with {count} thread(s)")
                torch.set_num_threads(count)
                copy_rate = None
                for method, dtype, call, moved in rows:
                    if count != threads[0] and not method.startswith(("torch", "copy")):
                        continue  # NumPy, OpenCV and Pillow do not follow torch's thread count
                    seconds = time_call(call, min_time, samples)
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
            "python": platform.python_version(), "torch_threads": torch.get_num_threads()}


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
        lines += ["", f"A decoder's feature map, ({batch}, {channels}, {side_in}, {side_in}) → {side_out}×{side_out}, "
                      f"float32, {report['decoder'][0]['threads']} threads: ms per call (GB/s moved, share of the copy "
                      "roof's GB/s):", "", "| method | contiguous | channels_last |", "| --- | ---: | ---: |"]
        decoder = {(row["method"], row["layout"]): row for row in report["decoder"]}
        for method in dict.fromkeys(row["method"] for row in report["decoder"]):
            cells = [decoder.get((method, layout)) for layout in ("contiguous", "channels_last")]
            lines.append(f"| {method} | " + " | ".join(
                "" if row is None else f"{row['ms']:.2f} ({row['gb_per_s']:.1f} GB/s, {row['of_copy']:.0%})"
                for row in cells) + " |")
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
    ratios = [speed("torch nearest of uint8, then /255", "uint8→float32", batch)
              / speed("torch nearest", "float32", batch)
              for batch in batches]
    lines.append("- Upsampling the uint8 pixels before converting them, against converting first: " + ", ".join(
        f"{ratio:.2f}× at {batch:,}" for ratio, batch in zip(ratios, batches, strict=True)) + " images.")
    if len(counts) > 1:
        gains = {row["method"]: speed(row["method"], row["input"], largest, counts[-1])
                 / speed(row["method"], row["input"], largest, counts[0])
                 for row in results if row["batch"] == largest and row["threads"] == counts[0]
                 and row["method"].startswith("torch ")}
        copy_gain = (speed("copy (bandwidth roof)", "float32", largest, counts[-1])
                     / speed("copy (bandwidth roof)", "float32", largest, counts[0]))
        lines.append(f"- {counts[-1]} threads against {counts[0]} at {largest:,} images: the copy {copy_gain:.1f}×, "
                     f"torch's rows {min(gains.values()):.1f}–{max(gains.values()):.1f}×.")
    if report.get("decoder"):
        decoder = {(row["method"], row["layout"]): row for row in report["decoder"]}
        for mode in ("nearest", "bilinear"):
            contiguous, last = decoder[(f"torch {mode}", "contiguous")], decoder[(f"torch {mode}", "channels_last")]
            lines.append(f"- The decoder's map, {mode}: contiguous takes {contiguous['ms'] / last['ms']:.0f}× as long "
                         f"as channels_last ({contiguous['of_copy']:.0%} against {last['of_copy']:.0%} of the copy).")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[10, 1000, 60000],
                        help="batch sizes (default: %(default)s)")
    parser.add_argument("--threads", type=int, nargs="+", default=[torch.get_num_threads(), 1],
                        help="torch thread counts (default: all, then one: %(default)s)")
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per sample (default: %(default)s)")
    parser.add_argument("--samples", type=int, default=5, help="samples per median (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=HERE / "throughput.json", help="where to write the results")
    parser.add_argument("--markdown", action="store_true",
                        help="measure nothing: print the README's tables from the results in --json")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(args.json.read_text())), end="")
        return 0

    info = machine()
    print(f"{info['cpu']}, {info['cpus']} CPUs, torch {info['torch']}")
    results = run(args.batches, args.threads, args.min_time, args.samples,
                  progress=lambda text: print(text, file=sys.stderr, flush=True))
    header = ("batch", "threads", "method", "input", "ms", "images/s", "GB/s", "of copy")
    print("{:>6} {:>7}  {:<36} {:<14} {:>9} {:>11} {:>6} {:>8}".format(*header))
    for row in results:
        print(f"{row['batch']:>6} {row['threads']:>7}  {row['method']:<36} {row['input']:<14} {row['ms']:>9.3f} "
              f"{row['images_per_s']:>11,.0f} {row['gb_per_s']:>6.2f} {row['of_copy']:>7.0%}")
    decoder = run_decoder(args.threads[0], args.min_time, args.samples)
    for row in decoder:
        print(f"decoder {row['method']:<24} {row['layout']:<14} {row['ms']:>9.3f} ms {row['gb_per_s']:>6.2f} GB/s "
              f"{row['of_copy']:>7.0%}")
    args.json.write_text(json.dumps({"machine": info, "results": results, "decoder": decoder}, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
