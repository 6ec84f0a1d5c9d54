"""
Same layer, other runtimes: export, compile, TorchScript, ONNX Runtime
======================================================================

Does ``UpsampleExample`` give the same result after ``torch.export(...).module()``, ``torch.compile``,
``torch.jit.script``, and an ONNX export run in ONNX Runtime, with the default (dynamo-based) exporter and
with the legacy one (``dynamo=False``)? Every mode in every rank, both ``align_corners`` where they apply,
with the output size given six ways: ``size=``, factors 2 and 1.7, 1.7 with ``recompute_scale_factor=True``,
and a factor of 1.3 on sides of 3 pixels (3 × 1.3 = 3.9, floored to 3: the size does not change), without
and with ``recompute_scale_factor``. Then what only ``F.interpolate`` has (antialias, lanczos),
``PixelShuffle`` and ``PixelUnshuffle``, and the nearest modes at exact ties.

Measuring every case compiles and exports each one, which takes minutes, so the page measures a handful
again and checks them against the results kept in ``lessons/runtimes.json``; with the environment variable
``RUNTIMES_MEASURE=all`` it measures every case and rewrites that file. Needs onnx, onnxruntime and
onnxscript (``requirements-dev.txt``).
"""

# %%
# The lessons share a few helpers (``lessons/helpers.py``); the next line finds them when a notebook runs
# from the repository root (from ``lessons/`` they are found anyway).
import sys

sys.path[:0] = ["lessons"]

import contextlib
import io
import json
import os
import platform
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import helpers
import torch
import torch.nn.functional as F
from torch import nn

from upsample_example import UpsampleExample
from upsample_files import write_atomically

RESULTS = helpers.ROOT / "lessons" / "runtimes.json"  # what the last full measurement found
TOLERANCE = 1e-5  # float32 results closer than this to eager "agree": they differ by rounding only

# Every mode UpsampleExample offers, in every rank it works in, with align_corners where it applies.
SHAPES = {1: (2, 3, 9), 2: (2, 3, 7, 9), 3: (2, 2, 5, 7, 9)}  # (N, C, spatial...): odd, unequal sides
VARIANTS = {
    "1D nearest": (1, {"mode": "nearest"}),
    "1D nearest-exact": (1, {"mode": "nearest-exact"}),
    "1D linear": (1, {"mode": "linear"}),
    "1D linear, corners": (1, {"mode": "linear", "align_corners": True}),
    "1D area": (1, {"mode": "area"}),
    "2D nearest": (2, {"mode": "nearest"}),
    "2D nearest-exact": (2, {"mode": "nearest-exact"}),
    "2D bilinear": (2, {"mode": "bilinear"}),
    "2D bilinear, corners": (2, {"mode": "bilinear", "align_corners": True}),
    "2D bicubic": (2, {"mode": "bicubic"}),
    "2D bicubic, corners": (2, {"mode": "bicubic", "align_corners": True}),
    "2D area": (2, {"mode": "area"}),
    "3D nearest": (3, {"mode": "nearest"}),
    "3D nearest-exact": (3, {"mode": "nearest-exact"}),
    "3D trilinear": (3, {"mode": "trilinear"}),
    "3D trilinear, corners": (3, {"mode": "trilinear", "align_corners": True}),
    "3D area": (3, {"mode": "area"}),
}
# How the output size is given; the last two keep every side as it is (3 × 1.3 = 3.9, floored to 3).
SPECS = {
    "size": lambda sides: {"size": tuple(side * 3 // 2 + 1 for side in sides)},
    "×2": lambda sides: {"scale_factor": 2.0},
    "×1.7": lambda sides: {"scale_factor": 1.7},
    "×1.7, recompute": lambda sides: {"scale_factor": 1.7, "recompute_scale_factor": True},
    "×1.3 on 3 pixels": lambda sides: {"scale_factor": 1.3},
    "×1.3 on 3 pixels, recompute": lambda sides: {"scale_factor": 1.3, "recompute_scale_factor": True},
}
RUNTIMES = ("torch.export", "torch.compile", "TorchScript", "ONNX Runtime", "ONNX Runtime, legacy exporter")
DYNAMIC_SHAPES = {2: [(1, 3, 12, 15), (4, 3, 20, 11)]}  # the dynamic-shape export is run at these other sizes


class Interpolate(nn.Module):
    """F.interpolate(x, size, **options) as a module, for what nn.Upsample cannot do: antialias and lanczos."""

    def __init__(self, size: int, **options) -> None:
        super().__init__()
        self.size, self.options = size, options

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=self.size, **self.options)


# What only the function has (antialias=True, mode 'lanczos'), the sub-pixel layers, and the nearest modes where
# output centres fall exactly on pixel borders (20→6 and 28→42): each a module and the input it is run on.
FUNCTIONS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "bilinear, antialias, 28→14": (lambda: Interpolate(14, mode="bilinear", antialias=True), (2, 3, 28, 28)),
    "bilinear, antialias, 14→28": (lambda: Interpolate(28, mode="bilinear", antialias=True), (2, 3, 14, 14)),
    "bicubic, antialias, 28→14": (lambda: Interpolate(14, mode="bicubic", antialias=True), (2, 3, 28, 28)),
    "bicubic, antialias, 14→28": (lambda: Interpolate(28, mode="bicubic", antialias=True), (2, 3, 14, 14)),
    "lanczos, 28→14": (lambda: Interpolate(14, mode="lanczos", antialias=True), (2, 3, 28, 28)),
    "lanczos, 14→28": (lambda: Interpolate(28, mode="lanczos", antialias=True), (2, 3, 14, 14)),
    "PixelShuffle(2)": (lambda: nn.PixelShuffle(2), (2, 12, 7, 9)),
    "PixelUnshuffle(2)": (lambda: nn.PixelUnshuffle(2), (2, 3, 14, 18)),
    "nearest, ties 20→6": (lambda: UpsampleExample(size=6, mode="nearest"), (2, 3, 20, 20)),
    "nearest-exact, ties 20→6": (lambda: UpsampleExample(size=6, mode="nearest-exact"), (2, 3, 20, 20)),
    "nearest, ties 28→42": (lambda: UpsampleExample(size=42, mode="nearest"), (2, 3, 28, 28)),
    "nearest-exact, ties 28→42": (lambda: UpsampleExample(size=42, mode="nearest-exact"), (2, 3, 28, 28)),
}
FUNCTION_RUNTIMES = ("torch.export", "torch.compile", "ONNX Runtime", "ONNX Runtime, legacy exporter")


def case_input(rank: int, spec: str, seed: int = 0) -> torch.Tensor:
    """The input of one case: SHAPES[rank] of uniform noise, or sides of 3 for the unchanged-size spec."""
    shape = SHAPES[rank] if "on 3 pixels" not in spec else SHAPES[rank][:2] + (3,) * rank
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed))


def case_model(variant: str, spec: str) -> UpsampleExample:
    rank, kwargs = VARIANTS[variant]
    return UpsampleExample(**kwargs, **SPECS[spec](SHAPES[rank][2:])).eval()


# %%
# Each runtime, as a function that turns the model into something callable on a tensor
# ------------------------------------------------------------------------------------
# torch.compile shares Dynamo's cache between modules with the same forward: after 8 recompilations
# (its recompile limit) it silently runs eager instead, and a comparison would compare eager with eager.
# So every compilation starts from torch._dynamo.reset().


# %%
def _quietly(make: Callable[[], object]) -> object:
    """Run ``make()`` without its progress lines and warnings (the exporters print both)."""
    quiet = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        warnings.simplefilter("ignore")
        return make()


def _onnx_runner(
    model: torch.nn.Module, x: torch.Tensor, dynamo: bool, dynamic_shapes: object = None
) -> Callable[[torch.Tensor], torch.Tensor]:
    import onnxruntime

    if dynamo:
        program = _quietly(lambda: torch.onnx.export(model, (x,), dynamo=True, dynamic_shapes=dynamic_shapes))
        data = program.model_proto.SerializeToString()
    else:
        buffer = io.BytesIO()
        _quietly(lambda: torch.onnx.export(model, (x,), buffer, dynamo=False))
        data = buffer.getvalue()
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda t: torch.from_numpy(session.run(None, {name: t.numpy()})[0])


def _compiled(model: torch.nn.Module, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    torch._dynamo.reset()  # a fresh cache: no recompile limit carried over from earlier cases
    return torch.compile(model)


PREPARE: dict[str, Callable[[torch.nn.Module, torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]] = {
    "torch.export": lambda model, x: _quietly(lambda: torch.export.export(model, (x,)).module()),
    "torch.compile": _compiled,
    "TorchScript": lambda model, x: torch.jit.script(model),
    "ONNX Runtime": lambda model, x: _onnx_runner(model, x, dynamo=True),
    "ONNX Runtime, legacy exporter": lambda model, x: _onnx_runner(model, x, dynamo=False),
}


def describe(error: BaseException) -> str:
    """The error's first line; when it wraps another, its type and the innermost cause's: what actually went wrong."""
    chain = [error]
    while chain[-1].__cause__ is not None and len(chain) < 10:
        chain.append(chain[-1].__cause__)

    def first_line(exception: BaseException) -> str:
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(exception)).strip().splitlines()
        return f"{type(exception).__name__}: {text[0][:160] if text else ''}".rstrip(": ")

    return f"{type(error).__name__}, caused by {first_line(chain[-1])}" if len(chain) > 1 else first_line(error)


def run_case(variant: str, spec: str, runtime: str) -> dict:
    """One cell: {'status': 'agrees' | 'differs' | 'fails', 'difference': largest |runtime − eager|, 'error': ...}."""
    return compare(case_model(variant, spec), case_input(VARIANTS[variant][0], spec), runtime)


def run_function_case(name: str, runtime: str) -> dict:
    """One cell of the function-only table, as run_case's."""
    make, shape = FUNCTIONS[name]
    return compare(make().eval(), torch.rand(shape, generator=torch.Generator().manual_seed(0)), runtime)


def compare(model: nn.Module, x: torch.Tensor, runtime: str) -> dict:
    """Run ``model`` on ``x`` eagerly and in ``runtime``; how the two compare."""
    with torch.no_grad():
        eager = model(x)
        try:
            result = _quietly(lambda: PREPARE[runtime](model, x)(x))
        except Exception as error:  # the runtime cannot take this case: record what it says
            return {"status": "fails", "error": describe(error)}
    if result.shape != eager.shape:
        return {"status": "differs", "difference": None, "shape": list(result.shape)}
    difference = (result - eager).abs().max().item()
    return {"status": "agrees" if difference <= TOLERANCE else "differs", "difference": difference}


def run_dynamic(variant: str, runtime: str) -> dict:
    """Export once with batch, height and width dynamic (output size: ×2), and run at DYNAMIC_SHAPES' sizes."""
    from torch.export import Dim

    rank = VARIANTS[variant][0]
    x, model = case_input(rank, "×2"), case_model(variant, "×2")
    dims = {0: Dim("batch"), **{axis: Dim(f"side{axis}", min=2, max=4096) for axis in range(2, 2 + rank)}}
    try:
        if runtime == "torch.export":
            run = _quietly(lambda: torch.export.export(model, (x,), dynamic_shapes=(dims,)).module())
        else:
            run = _onnx_runner(model, x, dynamo=True, dynamic_shapes=(dims,))
        differences = []
        for shape in DYNAMIC_SHAPES[rank]:
            other = torch.rand(shape, generator=torch.Generator().manual_seed(1))
            with torch.no_grad():
                differences.append((run(other) - model(other)).abs().max().item())
    except Exception as error:
        return {"status": "fails", "error": describe(error)}
    difference = max(differences)
    return {"status": "agrees" if difference <= TOLERANCE else "differs", "difference": difference}


def measure(
    variants: Sequence[str] = tuple(VARIANTS),
    specs: Sequence[str] = tuple(SPECS),
    runtimes: Sequence[str] = RUNTIMES,
    report: Callable[[str], None] = print,
) -> dict:
    """Every case, then the dynamic-shape exports: the data runtimes.json keeps."""
    import onnx
    import onnxruntime
    import onnxscript

    cases = []
    for variant in variants:
        for spec in specs:
            for runtime in runtimes:
                cases.append({"variant": variant, "spec": spec, "runtime": runtime, **run_case(variant, spec, runtime)})
            report(f"{variant:<22} {spec:<17} " + " ".join(cell(case) for case in cases[-len(runtimes) :]))
    dynamic = [
        {"variant": variant, "runtime": runtime, **run_dynamic(variant, runtime)}
        for variant in variants
        if VARIANTS[variant][0] in DYNAMIC_SHAPES
        for runtime in ("torch.export", "ONNX Runtime")
    ]
    functions = []
    for name in FUNCTIONS:
        functions += [
            {"variant": name, "runtime": runtime, **run_function_case(name, runtime)} for runtime in FUNCTION_RUNTIMES
        ]
        report(f"{name:<28} " + " ".join(cell(case) for case in functions[-len(FUNCTION_RUNTIMES) :]))
    versions = {
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "onnxscript": onnxscript.__version__,
        "python": platform.python_version(),
    }
    return {"versions": versions, "tolerance": TOLERANCE, "cases": cases, "dynamic": dynamic, "functions": functions}


# %%
# The tables
# ----------
# Drawn from the results kept in ``lessons/runtimes.json``.


def cell(case: dict) -> str:
    """✓ agrees, ≠ differs, ✗ cannot export or run."""
    return {"agrees": "✓", "differs": "≠", "fails": "✗"}[case["status"]]


def markdown(data: dict) -> str:
    """The README's tables: a row per variant, a cell per spec with one mark per runtime, then every exception."""
    cases = {(case["variant"], case["spec"], case["runtime"]): case for case in data["cases"]}
    variants = list(dict.fromkeys(case["variant"] for case in data["cases"]))
    specs = list(dict.fromkeys(case["spec"] for case in data["cases"]))
    runtimes = list(dict.fromkeys(case["runtime"] for case in data["cases"]))
    lines = ["| | " + " | ".join(f"`{spec}`" for spec in specs) + " |", "| --- |" + " :---: |" * len(specs)]
    for variant in variants:
        lines.append(
            f"| {variant} | "
            + " | ".join("".join(cell(cases[variant, spec, runtime]) for runtime in runtimes) for spec in specs)
            + " |"
        )
    agree = sum(case["status"] == "agrees" for case in data["cases"])
    lines += [
        "",
        f"Each cell: {', '.join(runtimes)}, in that order; ✓ agrees with eager within "
        f"{data['tolerance']:g}, ≠ differs, ✗ fails. {agree} of {len(data['cases'])} agree. The others:",
        "",
    ]
    for case in data["cases"]:
        if case["status"] == "differs":
            how = (
                f"differs by up to {case['difference']:.3g}"
                if case.get("difference") is not None
                else f"gives shape {tuple(case['shape'])}"
            )
            lines.append(f"- {case['variant']}, `{case['spec']}`, {case['runtime']}: {how}")
    failures: dict[tuple[str, str], list[str]] = {}
    for case in data["cases"]:
        if case["status"] == "fails":
            failures.setdefault((case["runtime"], case["error"]), []).append(f"{case['variant']} `{case['spec']}`")
    for (runtime, error), where in failures.items():
        sentence = error.split(". ")[0].rstrip(".")  # the first sentence says it
        lines.append(
            f"- {runtime} fails for {len(where)} case(s) ({', '.join(where[:3])}"
            f"{', ...' if len(where) > 3 else ''}): {sentence}."
        )
    dynamic = data["dynamic"]
    shapes = " and ".join("×".join(map(str, shape)) for shape in DYNAMIC_SHAPES[2])
    lines += [
        "",
        f"Exported once with batch, height and width dynamic (`×2`), then run at {shapes}:",
        "",
        "| | " + " | ".join(dict.fromkeys(case["runtime"] for case in dynamic)) + " |",
        "| --- |" + " :---: |" * len(dict.fromkeys(case["runtime"] for case in dynamic)),
    ]
    for variant in dict.fromkeys(case["variant"] for case in dynamic):
        marks = [
            cell(case) + (f" {case['difference']:.2g}" if case["status"] == "differs" else "")
            for case in dynamic
            if case["variant"] == variant
        ]
        lines.append(f"| {variant} | " + " | ".join(marks) + " |")
    functions = data["functions"]
    lines += [
        "",
        "What only the function has, the sub-pixel layers, and the nearest modes at exact ties:",
        "",
        "| | " + " | ".join(FUNCTION_RUNTIMES) + " |",
        "| --- |" + " :---: |" * len(FUNCTION_RUNTIMES),
    ]
    for name in dict.fromkeys(case["variant"] for case in functions):
        marks = [
            cell(case) + (f" {case['difference']:.2g}" if case["status"] == "differs" else "")
            for case in functions
            if case["variant"] == name
        ]
        lines.append(f"| {name} | " + " | ".join(marks) + " |")
    failures = {}
    for case in functions:
        if case["status"] == "fails":
            failures.setdefault((case["runtime"], case["error"].split(". ")[0].rstrip(".")), []).append(case["variant"])
    lines.append("")
    for (runtime, sentence), where in failures.items():
        lines.append(f"- {runtime} fails for {', '.join(where)}: {sentence}.")
    return "\n".join(lines).rstrip()


def write_results(data: dict, path: Path = RESULTS) -> Path:
    """Write the JSON atomically: a run cut short leaves the old results."""
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    return write_atomically(path, lambda file: file.write(text.encode()))


# %%
# Measured here, against what is kept
# -----------------------------------
# A handful of cases, one per runtime and kind of outcome, measured again now; each must agree with the kept
# result. (``RUNTIMES_MEASURE=all`` measures them all, in minutes, and keeps the new results.)
#
# The kept results were measured at torch's native CPU kernel level. At its lowest level (as on a processor
# without AVX2, or with ``ATEN_CPU_CAPABILITY=default``), torch 2.14.1's ``torch.compile`` fails to build some
# of these kernels (its generated C++ uses ``at::vec`` without declaring it): there, a ``torch.compile`` case
# may fail where the table says it runs, and this page says so instead of comparing it.

LOWEST_LEVEL = torch.backends.cpu.get_cpu_capability() == "DEFAULT"

HANDFUL = [
    ("2D bilinear", "×1.7", "torch.export"),
    ("2D nearest", "×1.3 on 3 pixels", "torch.compile"),
    ("3D trilinear", "size", "TorchScript"),
    ("1D linear", "×1.3 on 3 pixels", "ONNX Runtime"),
    ("2D area", "size", "ONNX Runtime, legacy exporter"),
]
FUNCTION_HANDFUL = [("bicubic, antialias, 28→14", "ONNX Runtime"), ("lanczos, 14→28", "torch.compile")]

if os.environ.get("RUNTIMES_MEASURE") == "all":
    print(f"every case: {', '.join(RUNTIMES)} against eager (✓ agrees within {TOLERANCE:g}, ≠ differs, ✗ fails)")
    write_results(measure())
kept = json.loads(RESULTS.read_text())
assert kept["versions"]["torch"] == torch.__version__, (
    f"{RESULTS.name} was measured with torch {kept['versions']['torch']}"
)
kept_cases = {(case["variant"], case["spec"], case["runtime"]): case for case in kept["cases"]}
kept_functions = {(case["variant"], case["runtime"]): case for case in kept["functions"]}
for variant, spec, runtime in HANDFUL:
    again = run_case(variant, spec, runtime)
    print(
        f"{variant:<14} {spec:<17} {runtime:<30} {again['status']:<8} "
        f"kept: {kept_cases[variant, spec, runtime]['status']}"
    )
    if not (LOWEST_LEVEL and runtime == "torch.compile" and again["status"] == "fails"):
        assert again["status"] == kept_cases[variant, spec, runtime]["status"]
for name, runtime in FUNCTION_HANDFUL:
    again = run_function_case(name, runtime)
    print(f"{name:<32} {runtime:<30} {again['status']:<8} kept: {kept_functions[name, runtime]['status']}")
    if not (LOWEST_LEVEL and runtime == "torch.compile" and again["status"] == "fails"):
        assert again["status"] == kept_functions[name, runtime]["status"]
if LOWEST_LEVEL:
    print("torch runs at its lowest CPU kernel level here: a torch.compile case that fails was not compared")

# %%
# Every case, as kept
# -------------------

print(markdown(kept))

# %%
# The rule
# --------
# Give the output as ``size=``, or a factor with ``recompute_scale_factor=True``, and every runtime that can
# export the case reproduces eager. Every ``≠`` in the table is in one column: a non-integer factor that
# leaves a side as long as it was. There eager does not agree with itself: for some modes it copies the input
# unchanged, for others it applies the factor, and 2D ``nearest`` even depends on the width. The other
# runtimes each follow the factor their own way.

differing = {case["spec"] for case in kept["cases"] if case["status"] == "differs"}
print("the output size given as ... in every case that differs:", differing)
assert differing == {"×1.3 on 3 pixels"}
assert all(case["status"] != "differs" for case in kept["cases"] if case["spec"] in ("size", "×1.7, recompute"))

x = torch.arange(12.0).reshape(1, 1, 3, 4)
eager = F.interpolate(x, scale_factor=(1.3, 1.5), mode="nearest")[0, 0, :, 0]
torch._dynamo.reset()
try:
    compiled = torch.compile(UpsampleExample(scale_factor=(1.3, 1.5)))(x)[0, 0, :, 0]
except Exception as error:  # the lowest kernel level only, as above
    if not LOWEST_LEVEL:
        raise
    print(f"torch.compile cannot build this kernel at the lowest kernel level: {describe(error)}")
    compiled = torch.tensor([0.0, 0.0, 4.0])  # what the kept results record; not measured here
fixed = UpsampleExample(scale_factor=(1.3, 1.5), recompute_scale_factor=True)(x)[0, 0, :, 0]
print(
    f"rows eager copies: {eager.tolist()}; compiled: {compiled.tolist()}; with recompute_scale_factor: {fixed.tolist()}"
)
assert eager.tolist() == fixed.tolist() == [0.0, 4.0, 8.0] and compiled.tolist() == [0.0, 0.0, 4.0]
rows = torch.arange(2.0).reshape(1, 1, 2, 1)
by_width = [
    F.interpolate(rows.expand(1, 1, 2, w).contiguous(), scale_factor=(1.3, 2.0))[0, 0, :, 0].tolist() for w in (63, 64)
]
print(f"2D nearest, 2 rows × 1.3, at widths 63 and 64: {by_width}")
assert by_width == [[0.0, 1.0], [0.0, 0.0]]

# %%
# The width matters because, for 2D ``nearest``, torch picks a different kernel when the output's height
# plus width is at most 128 (see ``benchmarks/README.md``). What cannot be exported at all: the legacy
# exporter fails on every ``nearest-exact`` and every ``area`` case here, and the default exporter on 3D
# ``area``.

fails = {(case["variant"], case["runtime"]) for case in kept["cases"] if case["status"] == "fails"}
legacy = "ONNX Runtime, legacy exporter"
assert {variant for variant, runtime in fails if runtime == legacy} <= {
    v for v in VARIANTS if "nearest-exact" in v or "area" in v
}
assert all((v, legacy) in fails for v in VARIANTS if "nearest-exact" in v)
assert {variant for variant, runtime in fails if runtime == "ONNX Runtime"} == {"3D area"}

# %%
# What only the function has
# --------------------------
# ``torch.export`` and ``torch.compile`` reproduce every row of the last table: ``F.interpolate`` with
# ``antialias=True`` (bilinear, bicubic) and ``mode='lanczos'``, shrinking 28→14 and enlarging 14→28;
# ``nn.PixelShuffle(2)`` and ``nn.PixelUnshuffle(2)``; and the nearest modes at sizes where output centres
# fall exactly on pixel borders (2 of 6 at 20→6, 14 of 42 at 28→42). The default ONNX exporter takes the
# antialiased modes but not lanczos; the legacy exporter takes none of the three, nor ``nearest-exact``.
# The sub-pixel layers and the ties agree wherever they export.

status = {(case["variant"], case["runtime"]): case["status"] for case in kept["functions"]}
assert all(status[name, runtime] == "agrees" for name in FUNCTIONS for runtime in ("torch.export", "torch.compile"))
assert [status[name, "ONNX Runtime"] for name in FUNCTIONS if "lanczos" in name] == ["fails", "fails"]
assert all(status[name, "ONNX Runtime"] != "fails" for name in FUNCTIONS if "antialias" in name)
assert all(
    status[name, legacy] == "fails" for name in FUNCTIONS if "antialias" in name or "lanczos" in name or "exact" in name
)
assert all(
    status[name, runtime] in ("agrees", "fails")
    for name in FUNCTIONS
    if "Shuffle" in name or "ties" in name
    for runtime in FUNCTION_RUNTIMES
)

# %%
# TorchScript and a pitfall of ``torch.compile``
# ----------------------------------------------
# ``torch.jit.script(UpsampleExample(...))`` works and agrees everywhere, though torch warns that
# ``torch.jit.script`` is deprecated in favour of ``torch.compile`` and ``torch.export``. Its ``forward`` is
# ``return self.layers(x)``, which TorchScript compiles as it stands (the model checks its arguments when it is
# made, in Python, and leaves its input to torch, so there is nothing in ``forward`` to keep from the compiler).
#
# Dynamo caches compiled code per ``forward`` function, and all ``UpsampleExample`` instances share one.
# After ``torch._dynamo.config.recompile_limit`` recompilations it logs one warning and runs the rest eagerly,
# so a loop that compiles one model per case compares eager with eager from then on. This lesson resets
# Dynamo before every case.

assert all(case["status"] == "agrees" for case in kept["cases"] if case["runtime"] == "TorchScript")
print(
    f"TorchScript agrees in all {sum(case['runtime'] == 'TorchScript' for case in kept['cases'])} cases; "
    f"Dynamo's recompile limit: {torch._dynamo.config.recompile_limit}"
)
