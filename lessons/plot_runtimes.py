"""
Same layer, other runtimes: export, compile, TorchScript, ONNX Runtime
======================================================================

A model is rarely run only where it was written: it is exported with ``torch.export``, compiled with
``torch.compile``, scripted with TorchScript, or exported to ONNX and run in ONNX Runtime. Does
``UpsampleExample`` give the same numbers there as in eager PyTorch? This page reads the answer for every
mode in every rank, with the output size given six ways, and shows the one way of giving a size that
breaks the agreement.

Measuring every case compiles and exports each one, which takes minutes, so the measurement is a
benchmark (``python benchmarks/check_runtimes.py --all --write-results``) whose results are kept with the
lessons' helpers; this page shows them and reruns the pitfalls it teaches.
"""

# %%
# The kept results
# ----------------
# Each case is one model, one input of uniform noise (odd, unequal sides, but sides of 3 where a column
# says "on 3 pixels"), and one runtime. It
# *agrees* when the runtime's output is within 1e-5 of eager's (float32 rounding, nothing more),
# *differs* when it is further away or has another shape, and *fails* when the runtime cannot export or
# run it. The results hold for the versions they were measured with.
import torch
import torch.nn.functional as F

from upsample_example import UpsampleExample
from upsample_helpers import runtimes

kept = runtimes.kept_results()
print(", ".join(f"{name} {v}" for name, v in kept["versions"].items()))
assert kept["versions"]["torch"] == torch.__version__
agree = sum(case["status"] == "agrees" for case in kept["cases"])
print(f"{agree} of {len(kept['cases'])} cases agree with eager")

# %%
# Every mode, every rank, six ways of giving the size
# ---------------------------------------------------
# A row is a mode in a rank; a column is how the output size is given: ``size=``, factors 2 and 1.7,
# 1.7 with ``recompute_scale_factor=True`` ("r"), and a factor of 1.3 on sides of 3 pixels ("×1.3/3"),
# without and with ``recompute_scale_factor``. 3 × 1.3 is 3.9, floored to 3: that last size does not
# change at all. Each cell holds five marks, one per runtime: E ``torch.export``, C ``torch.compile``,
# T TorchScript, O ONNX Runtime, L ONNX Runtime through the legacy exporter (``dynamo=False``).
# ✓ agrees, ≠ differs, ✗ fails.

print(runtimes.case_table(kept))

# %%
# The rule
# --------
# Every ≠ is in one column: a factor that is not a whole number and leaves a side as long as it was.
# Give the output as ``size=``, or the factor with ``recompute_scale_factor=True``, and every runtime that
# can export the case reproduces eager. ``torch.export`` and TorchScript agree in every case.

differing = {c["spec"] for c in kept["cases"] if c["status"] == "differs"}
print("the size was given as ... wherever a runtime differs:", differing)
assert differing == {"×1.3 on 3 pixels"}
safe = ("size", "×1.7, recompute", "×1.3 on 3 pixels, recompute")
assert all(c["status"] != "differs" for c in kept["cases"] if c["spec"] in safe)
for runtime in ("torch.export", "TorchScript"):
    ran = [c for c in kept["cases"] if c["runtime"] == runtime]
    assert all(c["status"] == "agrees" for c in ran)

# %%
# Why that column: eager does not agree with itself
# -------------------------------------------------
# With a factor that leaves the size unchanged, eager PyTorch copies the input for some modes and applies
# the factor 1.3 to the coordinates for others, and each runtime follows the factor its own way. Here
# are the rows that 2D ``nearest`` reads for three rows scaled by 1.3: eager copies them, the compiled
# model applies the factor, and ``recompute_scale_factor=True`` makes both copy. (At torch's lowest CPU
# kernel level, ``ATEN_CPU_CAPABILITY=default``, torch 2.14.1 cannot compile this kernel; the page says
# so there and shows the kept result instead.)

x = torch.arange(12.0).reshape(1, 1, 3, 4)
eager = F.interpolate(x, scale_factor=(1.3, 1.5), mode="nearest")[0, 0, :, 0]
torch._dynamo.reset()
try:
    model = torch.compile(UpsampleExample(scale_factor=(1.3, 1.5)))
    compiled = model(x)[0, 0, :, 0]
except Exception as error:  # the lowest kernel level only
    assert torch.backends.cpu.get_cpu_capability() == "DEFAULT", error
    print("torch.compile cannot build this kernel here; the kept result:")
    compiled = torch.tensor([0.0, 0.0, 4.0])
fixed = UpsampleExample(scale_factor=(1.3, 1.5), recompute_scale_factor=True)
fixed = fixed(x)
print(f"eager: {eager.tolist()}, compiled: {compiled.tolist()}")
print(f"with recompute_scale_factor: {fixed[0, 0, :, 0].tolist()}")
assert eager.tolist() == fixed[0, 0, :, 0].tolist() == [0.0, 4.0, 8.0]
assert compiled.tolist() == [0.0, 0.0, 4.0]

# %%
# Even eager's answer depends on the width
# ----------------------------------------
# For 2D ``nearest``, torch picks a different CPU kernel when the output's height plus width is at most
# 128, and the two kernels treat the unchanged side differently. Two rows, scaled by 1.3 down the
# column and by 2 across: at width 63 the rows are copied, at width 64 the first row is read twice.

rows = torch.arange(2.0).reshape(1, 1, 2, 1)
by_width = {}
for width in (63, 64):
    wide = rows.expand(1, 1, 2, width).contiguous()
    first_column = F.interpolate(wide, scale_factor=(1.3, 2.0))[0, 0, :, 0]
    by_width[width] = first_column.tolist()
print("2D nearest, 2 rows × 1.3, first column, at widths 63 and 64:")
print(by_width)
assert by_width == {63: [0.0, 1.0], 64: [0.0, 0.0]}

# %%
# What does not export, and by how much the others differ
# -------------------------------------------------------
# The legacy exporter cannot take ``nearest-exact`` nor ``area`` (adaptive average pooling) in any rank
# or case; the default exporter cannot take 3D ``area``. The differences in the ×1.3/3 column are not
# rounding: the smallest is more than a third of the input's range, 0..1.

print(runtimes.exceptions(kept))
legacy = "ONNX Runtime, legacy exporter"
modes = ("nearest-exact", "area")
unexported = {f"{rank}D {mode}" for rank in (1, 2, 3) for mode in modes}
for case in kept["cases"]:
    if case["runtime"] == legacy:
        assert (case["status"] == "fails") == (case["variant"] in unexported)
onnx = [c for c in kept["cases"] if c["runtime"] == "ONNX Runtime"]
assert {c["variant"] for c in onnx if c["status"] == "fails"} == {"3D area"}
differs = [c for c in kept["cases"] if c["status"] == "differs"]
smallest = min(c["difference"] for c in differs)
print(f"the smallest difference: {smallest:.3f}")
assert smallest > 1 / 3

# %%
# What only the function has
# --------------------------
# ``F.interpolate`` does more than ``nn.Upsample``: ``antialias=True`` (bilinear, bicubic) and
# ``mode='lanczos'``. Shrinking 28→14 and enlarging 14→28, with ``nn.PixelShuffle(2)`` and
# ``nn.PixelUnshuffle(2)`` and the nearest modes where output centres fall exactly on pixel borders,
# here is where they survive (E export, C compile, O ONNX Runtime, L legacy exporter). Export and compile
# reproduce every row; the default ONNX exporter takes the antialiased modes but not lanczos; the legacy
# exporter takes none of the three, nor ``nearest-exact``.

print(runtimes.function_table(kept))
status = {(c["variant"], c["runtime"]): c["status"] for c in kept["functions"]}
for name in {name for name, _ in status}:
    both = status[name, "torch.export"], status[name, "torch.compile"]
    assert both == ("agrees", "agrees")
    onnx_fails = status[name, "ONNX Runtime"] == "fails"
    assert onnx_fails == ("lanczos" in name)
    words = ("antialias", "lanczos", "exact")
    assert (status[name, legacy] == "fails") == any(w in name for w in words)

# %%
# Exported once, run at other sizes
# ---------------------------------
# A model exported for one input size is often run at others. Exported once with the batch, height and
# width marked dynamic (output size: factor 2), then run at 1×3×12×15 and 4×3×20×11: ``torch.export``
# and the default ONNX exporter each give a program that agrees with eager at both sizes in every 2D
# mode: with the sides marked dynamic, neither exporter ties these models to the size they were
# exported at.

print(runtimes.dynamic_table(kept))
assert all(c["status"] == "agrees" for c in kept["dynamic"])

# %%
# TorchScript, and a pitfall of measuring ``torch.compile``
# ---------------------------------------------------------
# ``torch.jit.script(UpsampleExample(...))`` compiles ``forward`` as it stands (its rank check, then
# ``return self.layers(x)``) and agrees everywhere, though torch warns that TorchScript is deprecated in favour of
# ``torch.compile`` and ``torch.export``. Compiling many models in a loop has a trap: Dynamo caches code
# per ``forward`` function, which every ``UpsampleExample`` shares, and after its recompile limit it logs
# one warning and runs the rest eagerly, so a loop of comparisons would compare eager with eager from
# then on. The benchmark calls ``torch._dynamo.reset()`` before every case.

cases = [case for case in kept["cases"] if case["runtime"] == "TorchScript"]
agreeing = sum(c["status"] == "agrees" for c in cases)
print(f"TorchScript agrees in {agreeing} of {len(cases)} cases")
print("Dynamo's recompile limit:", torch._dynamo.config.recompile_limit)
assert torch._dynamo.config.recompile_limit == 8

# %%
# Measuring it again
# ------------------
# ``python benchmarks/check_runtimes.py`` measures a handful of cases again (one per runtime and kind of
# outcome) and compares them with the kept results; ``--all --write-results`` measures every case and
# replaces them, as a new torch or ONNX release calls for.
