"""How long `python upsample_example.py` takes, against the floor of what it must import.

The floor is `python -c "import torch, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"`.
The two run alternately, several times each, with two variants of the floor that show where its time
goes (the collector, the teardown at exit), and the medians of wall time and peak memory (the child's
maximum resident set size) are compared. The bare run runs on a copy of the modules in a
temporary folder, so the repository's figure is not touched.

    python benchmarks/bench_startup.py                   # prints a table; writes nothing
    python benchmarks/bench_startup.py --write-results   # and replaces benchmarks/startup.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from upsample_files import write_atomically  # noqa: E402  (the standard library only, at import)

MODULE = HERE.parent / "upsample_example.py"
FLOOR = "import torch, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"
# The same imports with the collector frozen after torch's, as the script's __main__ block does: it shows
# how much of the floor is the garbage collector rescanning torch's objects during matplotlib's import.
FLOOR_FROZEN = "import gc, torch; gc.freeze(); import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"
# The same imports, left with os._exit as the script's command leaves: it shows how much of the floor is Python's
# teardown of the imported modules as the process exits.
FLOOR_NO_TEARDOWN = FLOOR + "; import os; os._exit(0)"
GOALS = {"wall": 0.90, "peak memory": 1.05}  # the bare run, at most this many times the floor


def measure(command: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run ``command`` once: (wall seconds, peak resident memory in MiB) of that child alone.

    Linux carries a process's peak across fork and exec, so the child's peak is at least this
    process's size: run the benchmark from a small process (as its command line does), not a big one.
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)  # the child's own rusage, unlike RUSAGE_CHILDREN's maximum
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {process.stderr.read().decode()}")
    process.stderr.close()
    return wall, usage.ru_maxrss / 1024  # Linux reports kilobytes


def compare(runs: int) -> dict:
    """Alternate the floor, the bare run, the frozen floor and the floor without teardown ``runs`` times each;
    medians, and the bare run's ratios to the floor."""
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "MPLBACKEND")}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for module in (MODULE, *(MODULE.with_name(name) for name in ("upsample_files.py", "upsample_command.py"))):
            shutil.copy(module, folder / module.name)
        commands = {"floor": [sys.executable, "-c", FLOOR], "bare run": [sys.executable, MODULE.name],
                    "frozen floor": [sys.executable, "-c", FLOOR_FROZEN],
                    "no teardown": [sys.executable, "-c", FLOOR_NO_TEARDOWN]}
        measure(commands["bare run"], folder, env)  # a first run fills caches (fonts, files); not counted
        samples = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                samples[name].append(measure(command, folder, env))
    result = {"runs": runs, "python": platform.python_version(), "machine": platform.machine(),
              "cpus": os.cpu_count()}
    for name, values in samples.items():
        result[name] = {"wall_s": statistics.median(w for w, _ in values),
                        "peak_mib": statistics.median(m for _, m in values),
                        "wall_s_all": [round(w, 3) for w, _ in values]}
    result["ratio"] = {"wall": result["bare run"]["wall_s"] / result["floor"]["wall_s"],
                       "peak memory": result["bare run"]["peak_mib"] / result["floor"]["peak_mib"]}
    return result


def write_results(path: Path, result: dict) -> None:
    """Write ``result`` as JSON to ``path`` as the tutorial saves its figure: into a temporary file beside it,
    then renamed over it, so that a reader (or a failed run) never finds it half written."""
    write_atomically(path, lambda file: file.write((json.dumps(result, indent=2) + "\n").encode()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each command (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=HERE / "startup.json",
                        help="where --write-results writes the results (default: %(default)s)")
    parser.add_argument("--write-results", action="store_true",
                        help="write the results to --json (atomically); without it, a run only prints")
    args = parser.parse_args(argv)
    result = compare(args.runs)
    print(f"{'':12} {'wall (median)':>14} {'peak memory':>12}")
    for name in ("floor", "bare run", "frozen floor", "no teardown"):
        print(f"{name:12} {result[name]['wall_s']:>12.2f} s {result[name]['peak_mib']:>8.0f} MiB")
    ratio = result["ratio"]
    print(f"{'ratio':12} {ratio['wall']:>13.2f}× {ratio['peak memory']:>11.2f}×   "
          f"(goal: at most {GOALS['wall']}× and {GOALS['peak memory']}×)")
    if args.write_results:
        write_results(args.json, result)
        print(f"wrote {args.json}")
    else:
        print(f"(not written: --write-results writes them to {args.json})")
    return 0 if all(ratio[key] <= GOALS[key] for key in GOALS) else 1


if __name__ == "__main__":
    raise SystemExit(main())
