"""The README is true: every Python example runs and prints what it shows, every command names a file that
exists, and every table is what its command prints or measures."""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import io
import json
import re
from pathlib import Path

import matplotlib
import pytest
from conftest import ROOT

from upsample_example import MODES, main

README = (ROOT / "README.md").read_text()
BENCHMARKS_README = (ROOT / "benchmarks" / "README.md").read_text()  # the performance tables, from the front page


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", README, re.DOTALL | re.MULTILINE)


def block_after(text: str) -> list[str]:
    """The lines of the first plain fenced block after ``text``."""
    start = README.index(text)
    body = README[README.index("```\n", start) + 4:]
    return body[: body.index("```")].strip("\n").splitlines()


def test_every_python_block_is_an_example_with_its_output():
    blocks = python_blocks()
    assert len(blocks) >= 8
    for block in blocks:
        assert block.startswith(">>> "), block[:80]


def test_every_python_example_runs_and_prints_what_the_readme_shows(monkeypatch):
    """All blocks in order, as one session, the way a reader pastes them."""
    monkeypatch.chdir(ROOT)
    matplotlib.use("Agg")
    examples = doctest.DocTestParser().get_doctest("\n".join(python_blocks()), {}, "README.md", str(ROOT / "README.md"), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    runner.run(examples, out=report.write)
    matplotlib.pyplot.close("all")
    assert runner.failures == 0, report.getvalue()
    assert runner.tries == len(examples.examples) >= 30


def test_every_command_runs_a_file_that_exists():
    scripts = re.findall(r"^(?:pip install \S+ \S+ && )?python (\S+\.py)", README + BENCHMARKS_README, re.MULTILINE)
    assert "lessons/run_all.py" in scripts and "upsample_example.py" in scripts
    for script in scripts:
        assert (ROOT / script).is_file(), script
    for lesson in (ROOT / "lessons").glob("plot_*.py"):  # and every lesson has its section
        assert f"lessons/{lesson.name}" in scripts


def test_the_first_command_prints_what_the_readme_shows(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    matplotlib.use("Agg")
    assert main(["--output", str(tmp_path / "images" / "afterupsampling.png")]) == 0
    printed = capsys.readouterr().out.splitlines()
    shown = block_after("The first command prints")
    assert printed[:2] == shown[:2]
    assert shown[2] == "wrote .../images/afterupsampling.png" and printed[2].endswith("/images/afterupsampling.png")


def test_modes_table_lists_every_mode_with_its_rank():
    ranks = {1: "1D `(N, C, L)`", 2: "2D `(N, C, H, W)`", 3: "3D `(N, C, D, H, W)`", None: "1D, 2D or 3D"}
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[1] for line in README.splitlines()
            if line.startswith("| `") and line.count("|") == 4 and not line.startswith("| `--")}
    listed = {mode.strip("` "): rank for modes, rank in rows.items() for mode in modes.split(",")}
    assert listed == {mode: ranks[dims] for mode, dims in MODES.items()}


def test_options_table_shows_the_parsers_defaults():
    from upsample_example import MAX_BATCH_BYTES, build_parser

    rows = {line.split(" | ")[0].strip("| `").split()[0]: line.split(" | ")[1].strip("` ")
            for line in README.splitlines() if line.startswith("| `--")}
    parser = build_parser()
    defaults = {action.option_strings[0]: action.default for action in parser._actions if action.option_strings}
    assert set(rows) == set(defaults) - {"-h"}
    for option in ("--batch-size", "--seed", "--mode", "--data", "--device"):
        assert rows[option] == str(defaults[option]), option
    assert rows["--download-timeout"] == f"{defaults['--download-timeout']:g}"
    assert rows["--size"] == " ".join(map(str, defaults["--size"]))
    assert f"may take at most {MAX_BATCH_BYTES // 2**20} MiB" in README
    help_text = parser.format_help()
    assert f"may take at most {MAX_BATCH_BYTES // 2**20} MiB" in " ".join(help_text.split())
    assert rows["--download-stall"] == f"{defaults['--download-stall']:g}"


def test_checkerboard_table_is_what_the_lesson_prints(every_figure):
    shown = block_after("for a 14×14 constant input and for 64 digits:")
    printed = every_figure[1]["lessons/plot_checkerboard.py"]
    start = printed.index(shown[0])
    assert printed[start: start + len(shown)] == shown


@pytest.mark.parametrize("text", ["in grey levels per input pixel:",
                                  "from NumPy's FFT):", "below 1e-5):"])
def test_antialias_tables_are_what_the_lesson_prints(every_figure, text):
    shown = block_after(text)
    printed = every_figure[1]["lessons/plot_antialias.py"]
    start = printed.index(shown[0])
    assert printed[start: start + len(shown)] == shown


@pytest.mark.parametrize(("mode", "readme"), [("bilinear", "the lesson measures {inside} at 28→112"),
                                              ("bicubic", "by up to {inside} inside the digit and {border} at its border")])
def test_antialias_changes_when_enlarging_are_what_the_lesson_prints(every_figure, mode, readme):
    line = next(line for line in every_figure[1]["lessons/plot_antialias.py"]
                if line.startswith(f"antialias=True changes {mode} when enlarging"))
    inside, border = re.search(r"at most (\S+) inside, (\S+) at the border", line).groups()
    assert readme.format(inside=inside, border=border) in " ".join(README.split())


def test_icnr_border_line_is_what_the_lesson_prints(every_figure):
    shown = block_after("inside a 1-pixel border, the lesson")
    assert shown[0] in every_figure[1]["lessons/plot_checkerboard.py"]


def trained_table(every_figure, text: str, script: str, width: int) -> tuple[dict, dict]:
    """The README's table after ``text`` and the one ``script`` printed in the suite's run, as
    {row name: numbers} each (names are the first ``width`` characters, numbers may end in %)."""
    shown = block_after(text)
    printed = every_figure[1][script]
    start = printed.index(shown[0])

    def numbers(rows):
        return {row[:width].strip(): [float(value.rstrip("%")) for value in row[width:].split()] for row in rows[1:]}

    readme, fresh = numbers(shown), numbers(printed[start: start + len(shown)])
    assert readme.keys() == fresh.keys()
    return readme, fresh


def drawn_here() -> bool:
    """Whether this machine is the kind the README says drew its trained tables (processor and torch's kernels)."""
    import platform

    import torch

    processor, kernels = re.search(r"the machine that drew the\s+figures \((.+?), torch's (\w+) kernels\)",
                                   README).groups()
    with contextlib.suppress(OSError, StopIteration):  # no /proc, or no model name in it
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(line for line in lines if line.startswith("model name")).split(":")[1].strip()
        return processor in cpu and torch.backends.cpu.get_cpu_capability() == kernels
    return platform.processor() == processor


def test_quality_table_is_what_the_lesson_measures(every_figure):
    """The fixed modes to rounding everywhere; the learned rows, one seed on one thread, where they were drawn."""
    readme, fresh = trained_table(every_figure, "away from the original:", "lessons/plot_quality.py", 20)
    for name in readme:
        if name in ("ESPCN", "ESPCN, ICNR", "bicubic + residual") and not drawn_here():
            continue  # the README says these move with the processor
        assert fresh[name] == pytest.approx(readme[name], rel=1e-9, abs=0.006), name


def test_decoders_table_is_what_the_lesson_measures(every_figure):
    """One seed on one thread repeats exactly where it was drawn; the README says it moves elsewhere."""
    if not drawn_here():
        pytest.skip("the README's decoders table is the drawing machine's; its lasting claims are tested elsewhere")
    readme, fresh = trained_table(every_figure, "decoder took to train, then:", "lessons/plot_decoders.py", 22)
    for name in readme:
        assert fresh[name] == pytest.approx(readme[name], rel=1e-9, abs=0.00005), name


def test_performance_tables_and_findings_are_the_benchmarks_own():
    spec = importlib.util.spec_from_file_location("bench_upsample", ROOT / "benchmarks" / "bench_upsample.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.markdown(json.loads((ROOT / "benchmarks" / "throughput.json").read_text())) in BENCHMARKS_README


def test_startup_numbers_are_the_benchmarks_own():
    startup = json.loads((ROOT / "benchmarks" / "startup.json").read_text())
    for name in ("floor", "bare run", "frozen floor"):
        assert f"| {name} | {startup[name]['wall_s']:.2f} s | {startup[name]['peak_mib']:.0f} MiB |" in BENCHMARKS_README
    ratio = startup["ratio"]
    assert f"| ratio | {ratio['wall']:.2f}× | {ratio['peak memory']:.2f}× |" in BENCHMARKS_README
    assert f"has drawn its figure ({ratio['wall']:.2f}× the time of importing torch and" in README  # the front page


def test_the_lesson_index_lists_every_lesson_with_a_working_anchor():
    """Each row links to a heading that exists (GitHub's anchors: lower case, punctuation dropped, spaces to -)."""
    index = README[README.index("In reading order:"): README.index("The runtimes lesson draws no figure")]
    anchors = {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
               for heading in re.findall(r"^#+ (.+)$", README, re.MULTILINE)}
    links = re.findall(r"\]\(#([^)]+)\)", index)
    assert links and set(links) <= anchors
    scripts = set(re.findall(r"`(\w+\.py)`", index))
    assert scripts == {path.name for path in (ROOT / "lessons").glob("*.py")} - {"helpers.py", "run_all.py"}
