"""The command line: the bare run end to end, every user mistake as one line, and safe writing of the figure."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

import upsample_example
from upsample_example import FIGURE_DPI, FIGURE_SIZE, main

MODULE = Path(upsample_example.__file__)
EXPECTED_PIXELS = (round(FIGURE_SIZE[0] * FIGURE_DPI), round(FIGURE_SIZE[1] * FIGURE_DPI))


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, read from the file format, not from matplotlib."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def run(argv, capsys) -> tuple[int, str, str]:
    """main(argv) in-process: (exit status, stdout, stderr), argparse's exits included."""
    try:
        status = main([str(arg) for arg in argv])
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(autouse=True)
def headless(monkeypatch):
    """Tests never open a window: they run on the Agg backend."""
    monkeypatch.delenv("DISPLAY", raising=False)
    matplotlib.use("Agg")


def test_bare_run_in_a_fresh_folder(tmp_path):
    """`python upsample_example.py` with no arguments, no display and no network."""
    shutil.copy(MODULE, tmp_path / MODULE.name)
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
    assert written == ["images", "images/afterupsampling.png", MODULE.name]


def test_import_is_light_and_the_bare_run_imports_only_what_it_uses(tmp_path):
    """In a fresh interpreter: importing loads no plotting or data libraries; the bare run adds matplotlib only."""
    heavy = ("matplotlib", "torchvision", "mlxtend", "pandas", "sklearn", "PIL")
    script = f"""
import sys
import upsample_example
print(sorted(name for name in {heavy!r} if name in sys.modules))
upsample_example.main(["--no-show", "--output", {str(tmp_path / "f.png")!r}])
print(sorted(name for name in {heavy!r} if name in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=MODULE.parent, capture_output=True, text=True,
                            timeout=300, env={k: v for k, v in os.environ.items() if k != "DISPLAY"})
    assert result.returncode == 0, result.stderr
    after_import, after_run = result.stdout.splitlines()[0], result.stdout.splitlines()[-1]
    assert after_import == "[]"
    assert "torchvision" not in after_run and "mlxtend" not in after_run and "pandas" not in after_run
    assert list(tmp_path.iterdir()) == [tmp_path / "f.png"]


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


# argv, and words the one-line message must contain
MISTAKES = {
    "unknown mode": (["--mode", "bogus"], ["--mode", "'bogus'", "'nearest'"]),
    "1D mode on images": (["--mode", "linear"], ["--mode", "'linear'"]),
    "zero size": (["--size", "0", "56"], ["--size", "'0'", "positive"]),
    "one size": (["--size", "56"], ["--size", "2 arguments"]),
    "negative scale factor": (["--scale-factor", "-2"], ["--scale-factor", "'-2'"]),
    "size and scale factor": (["--size", "9", "9", "--scale-factor", "2"], ["--scale-factor", "--size"]),
    "zero batch": (["--batch-size", "0"], ["--batch-size", "'0'"]),
    "unknown data": (["--data", "web"], ["--data", "'web'", "'sample'"]),
    "align corners with nearest": (["--align-corners"], ["--align-corners", "--mode nearest", "bilinear"]),
    "misspelt option": (["--scale_factor", "2"], ["unrecognized", "--scale_factor"]),
    "unknown figure format": (["--output", "figure.xyz"], ["figure.xyz", ".png"]),
    "seed not a number": (["--seed", "abc"], ["--seed", "'abc'"]),
    "a lesson's option": (["--figure", "modes"], ["unrecognized", "--figure"]),
}


@pytest.mark.parametrize(("argv", "words"), MISTAKES.values(), ids=MISTAKES.keys())
def test_user_mistakes_exit_2_with_one_line(tmp_path, capsys, argv, words):
    if "--output" not in argv:
        argv = [*argv, "--output", str(tmp_path / "unused.png")]
    status, _, err = run(argv, capsys)
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("upsample_example.py: error:")
    assert "Traceback" not in err
    for word in words:
        assert word in err
    assert not (tmp_path / "unused.png").exists()


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_a_user_mistake(capsys):
    status, _, err = run(["--device", "cuda"], capsys)
    assert status == 2 and "CUDA is not available" in err and err.count("\n") == 1


def test_unwritable_output_names_the_path(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    status, _, err = run(["--output", blocker / "figure.png"], capsys)
    assert status == 1 and str(blocker / "figure.png") in err and err.count("\n") == 1
    assert blocker.read_text() == "in the way"


def test_missing_mnist_says_how_to_get_it(tmp_path, capsys):
    status, _, err = run(["--data", "mnist", "--root", tmp_path, "--output", tmp_path / "f.png"], capsys)
    assert status == 1 and "--download" in err and err.count("\n") == 1
    assert not (tmp_path / "f.png").exists()


def test_download_from_a_local_server(tmp_path, capsys, mnist_server):
    status, out, _ = run(["--download", "--root", tmp_path / "root", "--output", tmp_path / "f.png"], capsys)
    assert status == 0 and "full MNIST, 20 training digits" in out


def test_silent_server_with_auto_falls_back(tmp_path, capsys, silent_server):
    argv = ["--download", "--download-timeout", "0.5", "--root", tmp_path / "root", "--output", tmp_path / "f.png"]
    status, out, _ = run(argv, capsys)
    assert status == 0 and "download failed" in out and "offline MNIST sample" in out


def test_silent_server_with_mnist_required_fails_in_one_line(tmp_path, capsys, silent_server):
    argv = ["--data", "mnist", "--download", "--download-timeout", "0.5", "--root", tmp_path, "--output", tmp_path / "f.png"]
    status, _, err = run(argv, capsys)
    assert status == 1 and "download failed" in err and "Traceback" not in err


def test_interrupted_save_leaves_the_old_figure_and_no_partial_file(tmp_path, capsys, monkeypatch):
    output = tmp_path / "figure.png"
    output.write_bytes(b"the previous figure")

    def interrupted(self, file, **kwargs):
        file.write(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", interrupted)
    assert main(["--output", str(output)]) == 130
    assert capsys.readouterr().err == "interrupted\n"
    assert output.read_bytes() == b"the previous figure"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["figure.png"]


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
                   "--batch-size", "--seed", "--device", "--output", "--no-show"):
        assert option in out
    assert "(default: 10)" in out and "(default: (56, 56))" in out and "(default: nearest)" in out
    assert "afterupsampling.png)" in out
