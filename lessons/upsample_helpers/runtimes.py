"""Whether ``UpsampleExample`` gives the same result after ``torch.export``, ``torch.compile``, ``torch.jit.script``
and ONNX Runtime (both exporters): the cases, the measuring code, and the results kept in ``runtimes.json``.

Every mode in every rank, both ``align_corners`` where they apply, with the output size given six ways; what only
``F.interpolate`` has (antialias, lanczos), the sub-pixel layers, and the nearest modes at exact ties. Measuring
every case takes minutes: ``python benchmarks/check_runtimes.py --all --write-results`` does it and rewrites the
kept results; the runtimes lesson shows them.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import json
import os
import platform
import re
import sys
import textwrap
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from upsample_example import UpsampleExample
from upsample_files import write_atomically

RESULTS = Path(__file__).with_name("runtimes.json")  # what the last full measurement found
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



# Each runtime, as a function that turns the model into something callable on a tensor. torch.compile shares
# Dynamo's cache between modules with the same forward: after 8 recompilations (its recompile limit) it silently
# runs eager instead, and a comparison would compare eager with eager. So every compilation starts from a reset.
@contextlib.contextmanager
def _native_output_silenced() -> Iterator[None]:
    """File descriptors 1 and 2 pointed at the null device: what C++ code prints (the legacy exporter prints the
    whole graph when it fails) never reaches a log or a page. Python's own streams are redirected separately."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    try:
        with open(os.devnull, "wb") as null:
            for fd in saved:
                os.dup2(null.fileno(), fd)
        yield
    finally:
        ctypes.CDLL(None).fflush(None)  # C's buffered output goes to the null device, not after it
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)


def _quietly(make: Callable[[], object]) -> object:
    """Run ``make()`` without its progress lines, warnings and native dumps (the exporters print all three)."""
    quiet = io.StringIO()
    with (warnings.catch_warnings(), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet),
          _native_output_silenced()):
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
            report(f"{variant:<22} {spec:<28} " + "".join(cell(case) for case in cases[-len(runtimes) :]))
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




def cell(case: dict) -> str:
    """✓ agrees, ≠ differs, ✗ cannot export or run."""
    return {"agrees": "✓", "differs": "≠", "fails": "✗"}[case["status"]]


SPEC_LABELS = {"size": "size", "×2": "×2", "×1.7": "×1.7", "×1.7, recompute": "×1.7 r",
               "×1.3 on 3 pixels": "×1.3/3", "×1.3 on 3 pixels, recompute": "×1.3/3 r"}
RUNTIME_LETTERS = {"torch.export": "E", "torch.compile": "C", "TorchScript": "T", "ONNX Runtime": "O",
                   "ONNX Runtime, legacy exporter": "L"}


def case_table(data: dict) -> str:
    """A row per variant, a column per way of giving the size, a mark per runtime in RUNTIME_LETTERS' order."""
    cases = {(case["variant"], case["spec"], case["runtime"]): case for case in data["cases"]}
    lines = [f"{'':22}" + "".join(f"{SPEC_LABELS[spec]:<8}" for spec in SPECS)]
    for variant in VARIANTS:
        marks = ["".join(cell(cases[variant, spec, runtime]) for runtime in RUNTIMES) for spec in SPECS]
        lines.append(f"{variant:<22}" + "".join(f"{mark:<8}" for mark in marks))
    return "\n".join(line.rstrip() for line in lines)


def exceptions(data: dict, width: int = 80) -> str:
    """Every case that does not agree, in sentences wrapped at ``width``: what differs by how much, what fails why."""
    sentences = []
    for case in data["cases"]:
        if case["status"] == "differs":
            how = (f"differs by up to {case['difference']:.3g}" if case.get("difference") is not None
                   else f"gives shape {tuple(case['shape'])}")
            sentences.append(f"{case['variant']}, {case['spec']}, {case['runtime']}: {how}")
    failures: dict[tuple[str, str], list[str]] = {}
    for case in data["cases"]:
        if case["status"] == "fails":
            failures.setdefault((case["runtime"], case["error"]), []).append(case["variant"])
    for (runtime, error), where in failures.items():
        variants = list(dict.fromkeys(where))
        sentences.append(f"{runtime} fails for {len(where)} cases ({', '.join(variants)}): "
                         f"{error.split('. ')[0].rstrip('.')}")
    return "\n".join(textwrap.fill(sentence, width, subsequent_indent="  ") for sentence in sentences)


def function_table(data: dict) -> str:
    """A row per function-only case, a column per runtime (E, C, O, L): ✓, ≠ with its difference, or ✗."""
    lines = [f"{'':28}" + "".join(f"{RUNTIME_LETTERS[runtime]:<5}" for runtime in FUNCTION_RUNTIMES)]
    for name in FUNCTIONS:
        marks = [cell(case) for case in data["functions"] if case["variant"] == name]
        lines.append(f"{name:<28}" + "".join(f"{mark:<5}" for mark in marks))
    return "\n".join(line.rstrip() for line in lines)


def dynamic_table(data: dict) -> str:
    """Exported once with batch, height and width dynamic: a row per variant, a mark per runtime."""
    runtimes = list(dict.fromkeys(case["runtime"] for case in data["dynamic"]))
    lines = [f"{'':22}" + "".join(f"{runtime:<16}" for runtime in runtimes)]
    for variant in dict.fromkeys(case["variant"] for case in data["dynamic"]):
        marks = [cell(case) for case in data["dynamic"] if case["variant"] == variant]
        lines.append(f"{variant:<22}" + "".join(f"{mark:<16}" for mark in marks))
    return "\n".join(line.rstrip() for line in lines)


def write_results(data: dict, path: Path = RESULTS) -> Path:
    """Write the JSON atomically: a run cut short leaves the old results."""
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    return write_atomically(path, lambda file: file.write(text.encode()))


def kept_results(path: Path = RESULTS) -> dict:
    """The results of the last full measurement."""
    return json.loads(path.read_text())
