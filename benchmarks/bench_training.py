"""Where the time of an upsampling layer goes in training, on the CPU: a fresh output against a preallocated one, the
backward pass of the native kernel against two matrix products, and contiguous against channels_last (forward and
backward together, and the forward pass alone).

Rows compared are timed in rounds (one call of each row a round, the median over the rounds), on one thread, so a
change in the machine's load falls on all of them alike. With ``--write-results`` the benchmark runs itself twice,
at the processor's own CPU kernel level and at ``ATEN_CPU_CAPABILITY=default``, and keeps both in
``lessons/upsample_helpers/training.json``, which the training lesson shows.

    python benchmarks/bench_training.py                   # this process's kernel level; prints, writes nothing
    python benchmarks/bench_training.py --write-results   # both levels, into lessons/upsample_helpers/
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from upsample_files import write_atomically  # noqa: E402
from upsample_helpers.training import BENCHMARK, MatrixBilinear  # noqa: E402

RESULTS = BENCHMARK  # kept with the lesson's helpers, which read it
BATCHES = (1, 4, 32)  # (N, 64, 32, 32) → 64×64, channels_last: outputs of 1, 4 and 32 MiB
CHANNELS, SIDE = 64, 32


def nearest_fresh(x: torch.Tensor) -> torch.Tensor:
    """``F.interpolate``'s nearest 2×: the kernel allocates its output on every call."""
    return F.interpolate(x, scale_factor=2, mode="nearest")


def nearest_into(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """The same kernel writing into ``out``, allocated once (the ``out=`` overload of ``upsample_nearest2d``)."""
    return torch._C._nn.upsample_nearest2d(x, [2 * x.shape[-2], 2 * x.shape[-1]], out=out)


def rounds(calls: dict[str, Callable[[], object]], repeats: int = 15) -> dict[str, dict[str, float]]:
    """Each call ``repeats`` times, one of each a round (after one round not counted): the median seconds, and the
    minor page faults (memory the system hands over fresh) per call."""
    for call in calls.values():
        call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    faults: dict[str, list[int]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
            faults[name].append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    return {name: {"seconds": statistics.median(times[name]), "page_faults": statistics.median(faults[name])}
            for name in calls}


def measure() -> dict:
    """Every row at this process's kernel level, on one thread."""
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    allocation = {}
    for batch in BATCHES:
        x = torch.rand(batch, CHANNELS, SIDE, SIDE, generator=generator).contiguous(memory_format=torch.channels_last)
        out = torch.empty(batch, CHANNELS, 2 * SIDE, 2 * SIDE).contiguous(memory_format=torch.channels_last)
        allocation[batch] = rounds({
            "fresh output": lambda x=x: nearest_fresh(x),
            "out= (preallocated)": lambda x=x, out=out: nearest_into(x, out),
            "fill the output": lambda out=out: out.fill_(1.0),
            "allocate and fill": lambda out=out: torch.empty_like(out).fill_(1.0),
        })
        allocation[batch]["output MiB"] = out.numel() * 4 / 2**20

    x = torch.rand(32, CHANNELS, SIDE, SIDE, generator=generator)
    weight = torch.rand(32, CHANNELS, 2 * SIDE, 2 * SIDE, generator=generator)
    layouts = {"contiguous": x, "channels_last": x.contiguous(memory_format=torch.channels_last)}
    matrix = MatrixBilinear((2 * SIDE, 2 * SIDE))

    def forward_backward(layer: Callable[[torch.Tensor], torch.Tensor], t: torch.Tensor) -> Callable[[], object]:
        leaf = t.detach().requires_grad_()
        return lambda: torch.autograd.grad(layer(leaf), leaf, weight)

    def bilinear(t: torch.Tensor) -> torch.Tensor:
        return F.interpolate(t, scale_factor=2, mode="bilinear")

    backward = rounds({
        **{f"bilinear, {name}": forward_backward(bilinear, t) for name, t in layouts.items()},
        "MatrixBilinear, contiguous": forward_backward(matrix, layouts["contiguous"]),
        **{f"bilinear forward only, {name}": (lambda t=t: bilinear(t)) for name, t in layouts.items()},
    })
    return {"capability": torch.backends.cpu.get_cpu_capability(), "threads": torch.get_num_threads(),
            "allocation": allocation, "forward and backward, (32, 64, 32, 32) → 64×64": backward}


def table(level: dict) -> str:
    lines = [f"{level['capability']}, {level['threads']} thread:"]
    for batch, rows in level["allocation"].items():
        lines.append(f"  nearest 2×, batch {batch} ({rows['output MiB']:.0f} MiB out):")
        lines += [f"    {name:<20} {row['seconds'] * 1000:7.2f} ms, {row['page_faults']:6.0f} page faults"
                  for name, row in rows.items() if name != "output MiB"]
    for name, row in level["forward and backward, (32, 64, 32, 32) → 64×64"].items():
        lines.append(f"  {name:<36} {row['seconds'] * 1000:7.2f} ms")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-results", action="store_true",
                        help=f"measure at both kernel levels and write {RESULTS.name} (atomically)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a child's output to its parent
    args = parser.parse_args(argv)
    if args.json:
        print(json.dumps(measure()))
        return 0
    if not args.write_results:
        print(table(json.loads(json.dumps(measure()))))  # through JSON, as the kept file is: batch keys as text
        print(f"(not written: --write-results measures both kernel levels into {RESULTS})")
        return 0
    levels = []
    for variables in ({}, {"ATEN_CPU_CAPABILITY": "default"}):
        child = subprocess.run([sys.executable, __file__, "--json"], env={**os.environ, **variables},
                               capture_output=True, text=True, check=True)
        levels.append(json.loads(child.stdout))
        print(table(levels[-1]), flush=True)
    result = {"torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine(),
              "cpus": os.cpu_count(), "levels": levels}
    write_atomically(RESULTS, lambda file: file.write((json.dumps(result, indent=2) + "\n").encode()))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
