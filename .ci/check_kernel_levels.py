"""The trained lessons, and the signals lesson, print the same numbers at the processor's own CPU kernel level on
two threads and at ATEN_CPU_CAPABILITY=default on one thread, as their pages and the README say.

torch picks its CPU kernels by processor; ``default`` is the level every x86 processor has. Each page runs as a
script twice, and what it prints is compared line by line, except the line that reports how long training took;
the times the signals and quality lessons measure (milli- and microseconds, and ratios) are blanked before the
comparison. The
training lesson's float32 errors move with the kernels, so it is run at the default level for its asserts alone.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the pages that say that this holds
PAGES = ("plot_decoders.py", "plot_encoder_decoder.py", "plot_quality.py", "plot_signals.py")
ASSERTED = ("plot_training.py",)  # pages run at the default level only for their asserts
TIMING = re.compile(r"^trained .* in \d+ s")  # a line that may differ: wall time
TIMES = re.compile(r" *\d+\.\d+ [mµ]s| *\d+×$")  # a measured time, and a ratio of two


def printed(page: str, **variables: str) -> list[str]:
    environment = {**os.environ, "MPLBACKEND": "Agg", **variables}
    environment.pop("LESSON_IMAGES", None)  # nothing is kept
    result = subprocess.run([sys.executable, str(ROOT / "lessons" / page)], cwd=ROOT, env=environment,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{page} ({variables}) exited with status {result.returncode}:\n{result.stderr}")
    return [TIMES.sub(" …", line) for line in result.stdout.splitlines() if not TIMING.match(line)]


def main() -> int:
    failed = []
    for page in ASSERTED:  # its printed numbers move with the kernels; its asserts must hold at the default level
        printed(page, ATEN_CPU_CAPABILITY="default", OMP_NUM_THREADS="1")
        print(f"{page}: every assert holds at the default level, on one thread", flush=True)
    for page in PAGES:
        native = printed(page, OMP_NUM_THREADS="2")
        default = printed(page, ATEN_CPU_CAPABILITY="default", OMP_NUM_THREADS="1")
        if native != default:
            failed.append(page)
            sys.stdout.writelines(line + "\n" for line in difflib.unified_diff(
                native, default, f"{page}, own level, 2 threads", f"{page}, default level, 1 thread", lineterm=""))
        print(f"{page}: {len(native)} lines, {'the same' if native == default else 'DIFFERENT'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
