"""lessons/run_all.py: one command redraws every figure the README shows, and writes nothing else."""

from __future__ import annotations

import re
import struct

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_every_figure_the_readme_shows_is_drawn_and_nothing_else(every_figure):
    images, printed = every_figure
    shown = sorted(set(re.findall(r"\]\(images/([^)]+)\)", README)))
    assert sorted(path.name for path in images.iterdir()) == shown == sorted(path.name for path in (ROOT / "images").iterdir())
    for path in images.iterdir():
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and min(struct.unpack(">II", data[16:24])) > 100
    assert list(printed) == ["upsample_example.py", *sorted(f"lessons/{p.name}" for p in (ROOT / "lessons").glob("plot_*.py"))]
