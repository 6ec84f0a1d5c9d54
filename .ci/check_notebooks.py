"""Run every lesson as a notebook in a real Jupyter kernel, started from the repository root and from lessons/.

    python .ci/check_notebooks.py

Each lesson is converted with jupytext (its ``# %%`` cells become the notebook's cells) and executed with
nbclient; a cell that raises fails the check, with the lesson, the folder and the error named in one line.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jupytext
import nbclient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    lessons = sorted([*ROOT.glob("lessons/plot_*.py"), *ROOT.glob("lessons/check_*.py")])
    failures = 0
    for folder in (ROOT, ROOT / "lessons"):
        for lesson in lessons:
            start = time.perf_counter()
            book = jupytext.read(lesson)
            try:
                nbclient.NotebookClient(book, timeout=600, kernel_name="python3",
                                        resources={"metadata": {"path": str(folder)}}).execute()
            except CellExecutionError as error:
                failures += 1
                last = str(error).strip().splitlines()[-1]
                print(f"{lesson.name} from {folder.relative_to(ROOT.parent)}: {last}", file=sys.stderr)
                continue
            figures = sum("image/png" in output.get("data", {}) for cell in book.cells if cell.cell_type == "code"
                          for output in cell.outputs)
            print(f"{lesson.name} from {folder.relative_to(ROOT.parent)}: ran, {figures} figures, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
