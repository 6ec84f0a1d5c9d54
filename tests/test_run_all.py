"""lessons/run_all.py: one command redraws every figure the README shows, with each lesson run as a script."""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "lessons"))
import run_all


def test_run_all_runs_the_tutorial_then_every_plotting_lesson_into_the_folder(tmp_path):
    commands = run_all.commands(tmp_path)
    assert commands[0] == [sys.executable, str(ROOT / "upsample_example.py"), "--no-show", "--output",
                           str(tmp_path / "afterupsampling.png")]
    assert [command[1] for command in commands[1:]] == [str(path) for path in sorted((ROOT / "lessons").glob("plot_*.py"))]
