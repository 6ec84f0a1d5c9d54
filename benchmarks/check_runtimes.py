"""Whether export, compile, TorchScript and ONNX Runtime reproduce eager ``UpsampleExample``: measured again.

By default a handful of cases (one per runtime and kind of outcome) is measured and compared with the results
kept in ``lessons/upsample_helpers/runtimes.json``, which the runtimes lesson shows; ``--all`` measures every
case (minutes: each one is compiled or exported), and with ``--write-results`` replaces the kept results.

    python benchmarks/check_runtimes.py                         # a handful, against the kept results
    python benchmarks/check_runtimes.py --all --write-results   # every case; replaces the kept results
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import torch

from upsample_helpers import runtimes

# One per runtime and kind of outcome: agrees, differs, fails.
HANDFUL = [
    ("2D bilinear", "×1.7", "torch.export"),
    ("2D nearest", "×1.3 on 3 pixels", "torch.compile"),
    ("3D trilinear", "size", "TorchScript"),
    ("1D linear", "×1.3 on 3 pixels", "ONNX Runtime"),
    ("3D area", "size", "ONNX Runtime"),
    ("2D area", "size", "ONNX Runtime, legacy exporter"),
]
FUNCTION_HANDFUL = [("bicubic, antialias, 28→14", "ONNX Runtime"), ("lanczos, 14→28", "torch.compile")]


def check_handful(kept: dict) -> list[str]:
    """Measure HANDFUL and FUNCTION_HANDFUL again; a line for each case whose outcome is not the kept one.

    At torch's lowest CPU kernel level (``ATEN_CPU_CAPABILITY=default``), torch 2.14.1's ``torch.compile`` fails to
    build some kernels that it builds at the native level: a compile case that fails there is reported, not
    counted."""
    lowest = torch.backends.cpu.get_cpu_capability() == "DEFAULT"
    cases = {(case["variant"], case["spec"], case["runtime"]): case for case in kept["cases"]}
    functions = {(case["variant"], case["runtime"]): case for case in kept["functions"]}
    measured = [((variant, spec, runtime), runtimes.run_case(variant, spec, runtime), cases[variant, spec, runtime])
                for variant, spec, runtime in HANDFUL]
    measured += [((name, runtime), runtimes.run_function_case(name, runtime), functions[name, runtime])
                 for name, runtime in FUNCTION_HANDFUL]
    mismatches = []
    for case, again, before in measured:
        print(f"{' | '.join(case):<60} {again['status']:<8} kept: {before['status']}")
        if again["status"] != before["status"]:
            if lowest and case[-1] == "torch.compile" and again["status"] == "fails":
                print("  (torch.compile cannot build this kernel at the lowest CPU kernel level: not counted)")
                continue
            mismatches.append(f"{' | '.join(case)}: {again['status']}, kept {before['status']}")
    return mismatches


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="measure every case, not a handful")
    parser.add_argument("--write-results", action="store_true",
                        help=f"with --all: replace the kept results ({runtimes.RESULTS})")
    args = parser.parse_args(argv)
    if args.write_results and not args.all:
        parser.error("--write-results needs --all: only a full measurement replaces the kept results")
    if args.all:
        data = runtimes.measure()
        print(runtimes.case_table(data), runtimes.exceptions(data), sep="\n\n")
        if args.write_results:
            print(f"wrote {runtimes.write_results(data)}")
        return 0
    kept = runtimes.kept_results()
    if kept["versions"]["torch"] != torch.__version__:
        print(f"the kept results were measured with torch {kept['versions']['torch']}, this is {torch.__version__}: "
              f"measure them again with --all --write-results")
        return 1
    mismatches = check_handful(kept)
    print("\n".join(mismatches) or "every case measured again agrees with the kept results")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
