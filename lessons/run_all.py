"""Redraw every figure in images/: the tutorial's before/after figure, then each lesson's, each in its own process.

Run it from the repository root (it takes minutes: two of the lessons train networks):

    python lessons/run_all.py

Each lesson runs as a script with $LESSON_IMAGES naming the folder, where it keeps its README figures, and
with matplotlib's non-interactive backend, so that no window opens.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

LESSONS = Path(__file__).resolve().parent
ROOT = LESSONS.parent


def commands(images: Path) -> list[list[str]]:
    """The tutorial's command, then every lesson's (lessons/plot_*.py, in name order), writing into ``images``."""
    tutorial = [sys.executable, str(ROOT / "upsample_example.py"), "--no-show",
                "--output", str(images / "afterupsampling.png")]
    lessons = [[sys.executable, str(script)] for script in sorted(LESSONS.glob("plot_*.py"))]
    return [tutorial, *lessons]


def main(argv: Sequence[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))  # for upsample_io, which imports only the standard library
    from upsample_io import OneLineParser

    parser = OneLineParser(description=__doc__.strip().splitlines()[0])  # a mistake is one line
    parser.add_argument("--images", type=Path, default=ROOT / "images", metavar="FOLDER",
                        help="where to write the figures (default: %(default)s)")
    args = parser.parse_args(argv)
    images = args.images.resolve()
    environment = {**os.environ, "LESSON_IMAGES": str(images), "MPLBACKEND": "Agg"}
    for command in commands(images):
        print(f"== {Path(command[1]).relative_to(ROOT)}", flush=True)
        status = subprocess.run(command, cwd=ROOT, env=environment).returncode
        if status != 0:
            print(f"error: {Path(command[1]).name} exited with status {status}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
