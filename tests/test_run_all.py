"""lessons/run_all.py: one command redraws every figure the README shows, with each lesson run as a script; its
endings are the tutorial's (one line each), nothing is written through a link, and no lesson outlives it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, as_a_shell_starts_it, headless_environment

sys.path.insert(0, str(ROOT / "lessons"))
import run_all

# A stand-in for a lesson: it keeps a figure the way the lessons do (through the tutorial's safe save), says where it
# is by writing its pid into WRITING, then waits in the middle of the write until it is stopped.
SLOW_PAGE = """
import os, sys, time
from pathlib import Path
from upsample_files import write_atomically
images = Path(os.environ["LESSON_IMAGES"])

def write(file):
    file.write(b"half a figure")
    (images.parent / "WRITING").write_text(str(os.getpid()))
    time.sleep(120)

write_atomically(images / "figure.png", write)
"""

# run_all's main() with the slow page as its only lesson.
DRIVER = """
import sys
sys.path[:0] = [{lessons!r}]
import run_all
run_all.commands = lambda images: [[sys.executable, "-c", run_all.LESSON, {page!r}]]
raise SystemExit(run_all.main(sys.argv[1:]))
"""


def test_run_all_runs_the_tutorial_then_every_plotting_lesson_into_the_folder(tmp_path):
    commands = run_all.commands(tmp_path)
    assert commands[0] == [sys.executable, str(ROOT / "upsample_example.py"), "--no-show", "--output",
                           str(tmp_path / "afterupsampling.png")]
    assert [command[-1] for command in commands[1:]] == [str(path) for path in sorted((ROOT / "lessons").glob("plot_*.py"))]


def run_all_command(tmp_path: Path, *argv: str) -> list[str]:
    page = tmp_path / "slow_page.py"
    page.write_text(SLOW_PAGE)
    return [sys.executable, "-c", DRIVER.format(lessons=str(ROOT / "lessons"), page=str(page)), *argv]


def start(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(as_a_shell_starts_it(command), cwd=ROOT, env=env or headless_environment(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize(("signum", "status", "line"), [
    (signal.SIGINT, 130, "interrupted"),
    (signal.SIGTERM, 143, "stopped by SIGTERM"),
    (signal.SIGHUP, 129, "stopped by SIGHUP"),
], ids=["Ctrl-C", "SIGTERM", "SIGHUP"])
def test_a_signal_stops_the_lesson_with_run_all_in_one_line(tmp_path, signum, status, line):
    images = tmp_path / "images"
    images.mkdir()
    (images / "figure.png").write_text("the previous figure")
    process = start(run_all_command(tmp_path, "--images", str(images)))
    end = time.monotonic() + 120
    while not (tmp_path / "WRITING").exists():
        assert process.poll() is None and time.monotonic() < end, process.communicate()
        time.sleep(0.05)
    lesson = int((tmp_path / "WRITING").read_text())
    process.send_signal(signum)
    out, err = process.communicate(timeout=run_all.GRACE + 30)
    assert process.returncode == status and err == line + "\n", err
    assert out == f"== {tmp_path / 'slow_page.py'}\n"
    with pytest.raises(ProcessLookupError):  # the lesson has not outlived run_all
        os.kill(lesson, 0)
    assert [path.name for path in images.iterdir()] == ["figure.png"]  # no .partial file left
    assert (images / "figure.png").read_text() == "the previous figure"


@pytest.mark.parametrize("blocker", ["a dangling link", "a looping link", "a file"])
def test_a_folder_that_is_no_folder_is_refused_in_one_line_and_nothing_is_written_through_it(tmp_path, blocker):
    images = tmp_path / "images"
    if blocker == "a dangling link":
        images.symlink_to(tmp_path / "nowhere")
    elif blocker == "a looping link":
        images.symlink_to(images)
    else:
        images.write_text("in the way")
    result = subprocess.run(run_all_command(tmp_path, "--images", str(images / "sub")), cwd=ROOT, capture_output=True,
                            text=True, env=headless_environment(), timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"error: {images}: not a folder\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["images", "slow_page.py"]  # no target created


def test_tilde_is_the_home_folder(tmp_path, monkeypatch, capsys):
    seen = tmp_path / "seen"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(run_all, "commands", lambda images: [[sys.executable, "-c", (
        f"import os; open({str(seen)!r}, 'w').write(os.environ['LESSON_IMAGES'])"), "a-page.py"]])
    assert run_all.main(["--images", "~/figures"]) == 0
    assert seen.read_text() == str(tmp_path / "figures")


def test_a_lesson_that_fails_ends_run_all_with_its_status_and_its_own_line(tmp_path, monkeypatch, capfd):
    never = tmp_path / "never-run"
    monkeypatch.setattr(run_all, "commands", lambda images: [
        [sys.executable, "-c", run_all.LESSON, str(tmp_path / "no-such-page.py")],
        [sys.executable, "-c", f"open({str(never)!r}, 'w')", "second.py"]])
    assert run_all.main(["--images", str(tmp_path)]) == 1
    err = capfd.readouterr().err  # the lesson's own line: run_all adds none
    assert err.count("\n") == 1 and err.startswith("error: ") and "no-such-page.py" in err, err
    assert not never.exists()
