"""Run every lesson's notebook as a reader gets it: downloaded from the built gallery into an empty folder.

    python .ci/check_notebooks.py docs/_build/html

Each ``.ipynb`` the built site offers for download is copied alone into a new temporary folder and executed
there in a real Jupyter kernel (nbclient), so it finds the lessons' helpers only the way a reader's notebook does:
through the installed project. A cell that raises fails the check, with the lesson and the error in one line.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbclient
import nbformat
from jupyter_client import KernelManager
from nbclient.exceptions import CellExecutionError


def main(site: Path) -> int:
    notebooks = sorted(site.glob("_downloads/*/plot_*.ipynb"), key=lambda path: path.name)
    if not notebooks:
        print(f"no lesson notebooks to download in {site}: build the gallery first", file=sys.stderr)
        return 1
    failures = 0
    for notebook in notebooks:
        start = time.perf_counter()
        with (tempfile.TemporaryDirectory(prefix="downloaded-notebook-") as folder,
              tempfile.TemporaryDirectory(prefix="kernel-sockets-") as sockets):
            copy = Path(shutil.copy(notebook, folder))
            book = nbformat.read(copy, as_version=4)
            # The kernel talks over local sockets in a folder of this run's own, not over TCP (which it warns about).
            kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets, "kernel")))
            try:
                nbclient.NotebookClient(book, km=kernel, timeout=600,
                                        resources={"metadata": {"path": folder}}).execute()
            except CellExecutionError as error:
                failures += 1
                print(f"{notebook.name}, in an empty folder: {str(error).strip().splitlines()[-1]}", file=sys.stderr)
                continue
            finally:  # nbclient leaves a kernel it was handed running: shut it down before its sockets' folder goes
                if kernel.has_kernel:
                    kernel.shutdown_kernel()
            left = sorted(path.name for path in Path(folder).iterdir() if path != copy)
        figures = sum("image/png" in output.get("data", {}) for cell in book.cells if cell.cell_type == "code"
                      for output in cell.outputs)
        print(f"{notebook.name}: ran in an empty folder, {figures} figures, {time.perf_counter() - start:.0f} s"
              + (f"; it left {left}" if left else ""), flush=True)
        failures += bool(left)  # a lesson writes nothing where it runs
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/_build/html")))
