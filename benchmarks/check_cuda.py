"""The GPU side of the training lesson, measured where a CUDA device is present, and said plainly where none is.

On the device: whether the backward of ``F.interpolate`` repeats bit for bit (native, under
``torch.use_deterministic_algorithms(True)``, and as two matrix products), which modes run in bfloat16 and float16,
and a channels_last output past 2^31 elements, in one call and split over the batch. The results go to
``lessons/upsample_helpers/cuda.json``, which the training lesson shows; without a device the file says so and
holds nothing measured.

    python benchmarks/check_cuda.py                   # prints; writes nothing
    python benchmarks/check_cuda.py --write-results   # and replaces lessons/upsample_helpers/cuda.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from upsample_files import write_atomically  # noqa: E402
from upsample_helpers.training import CUDA_RESULTS, MatrixBilinear, interpolate_in_pieces  # noqa: E402

RESULTS = CUDA_RESULTS  # kept with the lesson's helpers, which read it
MODES = ("nearest", "nearest-exact", "bilinear", "bicubic", "area")
REPEATS = 20


def distinct_gradients(layer, x: torch.Tensor, weight: torch.Tensor) -> int | str:
    """How many distinct input gradients REPEATS identical backward passes give; or the error's first line."""
    seen = set()
    try:
        for _ in range(REPEATS):
            leaf = x.detach().requires_grad_()
            (layer(leaf) * weight).sum().backward()
            seen.add(leaf.grad.cpu().numpy().tobytes())
    except RuntimeError as error:
        return str(error).splitlines()[0]
    return len(seen)


def measure(device: torch.device, large_side: int = 12288, batch: tuple[int, int, int, int] = (8, 16, 64, 64)) -> dict:
    """Every measurement on ``device``. The large case doubles a channels_last batch of 2 × 2 × ``large_side``² in
    bfloat16 with ``nearest`` (by default 2.4e9 output elements, past 2^31: 4.5 GiB), the case pytorch issues
    #141831 and #129118 report returning zeros on CUDA. The repeated backward passes doubled ``batch``. The tests
    run it all on the CPU, small."""
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(batch, generator=generator).to(device)
    weight = torch.rand(*batch[:2], 2 * batch[2], 2 * batch[3], generator=generator).to(device)
    repeatability = {}
    for strict in (False, True):
        torch.use_deterministic_algorithms(strict)
        try:
            for mode in MODES:
                repeatability[f"{mode}, deterministic={strict}"] = distinct_gradients(
                    lambda t, m=mode: F.interpolate(t, scale_factor=2, mode=m), x, weight)
        finally:
            torch.use_deterministic_algorithms(False)
    repeatability["MatrixBilinear"] = distinct_gradients(MatrixBilinear(tuple(weight.shape[-2:])), x, weight)

    half = {}
    for dtype in (torch.bfloat16, torch.float16):
        for mode in MODES:
            try:
                leaf = x.to(dtype).requires_grad_()
                F.interpolate(leaf, scale_factor=2, mode=mode).sum().backward()
                half[f"{mode}, {dtype}"] = "runs"
            except RuntimeError as error:
                half[f"{mode}, {dtype}"] = str(error).splitlines()[0]

    large = {}
    try:
        big = torch.rand(2, 2, large_side, large_side, device=device, dtype=torch.bfloat16)
        big = big.contiguous(memory_format=torch.channels_last)
        whole = F.interpolate(big, scale_factor=2, mode="nearest")
        pieces = interpolate_in_pieces(big, 2, scale_factor=2, mode="nearest")
        large = {"elements": whole.numel(), "split equals whole": bool(torch.equal(whole, pieces)),
                 "whole is all zeros": bool((whole == 0).all())}
    except (RuntimeError, torch.OutOfMemoryError) as error:
        large = {"error": str(error).splitlines()[0]}
    return {"repeatability": repeatability, "half precision": half, "past 2^31 elements": large}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-results", action="store_true", help=f"write {RESULTS} (atomically)")
    args = parser.parse_args(argv)
    result = {"torch": torch.__version__, "python": platform.python_version()}
    if torch.cuda.is_available():
        device = torch.device("cuda")
        result |= {"device": torch.cuda.get_device_name(device), **measure(device)}
    else:
        result |= {"device": None, "note": "no CUDA device was present: nothing was measured"}
    print(json.dumps(result, indent=2))
    if args.write_results:
        write_atomically(RESULTS, lambda file: file.write((json.dumps(result, indent=2) + "\n").encode()))
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
