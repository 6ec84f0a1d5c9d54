"""The README is true: every Python example runs and prints what it shows, every command names a file that
exists, and every table is what its command prints or measures."""

from __future__ import annotations

import doctest
import importlib.util
import io
import json
import re

import matplotlib
from conftest import ROOT

from upsample_command import main
from upsample_example import MODES

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
    assert len(blocks) >= 4
    for block in blocks:
        assert block.startswith(">>> "), block[:80]


def test_every_python_example_runs_and_prints_what_the_readme_shows(monkeypatch, tmp_path):
    """All blocks in order, as one session, the way a reader pastes them, in a folder of their own."""
    monkeypatch.chdir(tmp_path)
    matplotlib.use("Agg")
    examples = doctest.DocTestParser().get_doctest("\n".join(python_blocks()), {}, "README.md", str(ROOT / "README.md"), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    runner.run(examples, out=report.write)
    matplotlib.pyplot.close("all")
    assert runner.failures == 0, report.getvalue()
    assert runner.tries == len(examples.examples) >= 14
    assert (tmp_path / "before_after.png").read_bytes()[:4] == b"\x89PNG"  # what figure.savefig wrote


def test_every_command_runs_a_file_that_exists():
    scripts = re.findall(r"^(?:pip install \S+ \S+ && )?python (\S+\.py)", README + BENCHMARKS_README, re.MULTILINE)
    assert "lessons/run_all.py" in scripts and "upsample_example.py" in scripts
    for script in scripts:
        assert (ROOT / script).is_file(), script


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
    from upsample_command import MAX_BATCH_BYTES, build_parser

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


def test_the_lesson_index_lists_every_lesson_with_its_own_figure():
    """Each row links to a lesson that exists, and its thumbnail is a figure that lesson keeps."""
    index = README[README.index("In reading order:"): README.index("The trained lessons train")]
    rows = re.findall(r"^\|(.*?)\| \[`(\w+\.py)`\]\(lessons/(\w+\.py)\)", index, re.MULTILINE)
    assert [name for _, name, _ in rows] == [link for _, _, link in rows]
    lessons = {path.name for path in (ROOT / "lessons").glob("plot_*.py")}
    assert {name for _, name, _ in rows} == lessons
    for thumbnail, name, _ in rows:
        for image in re.findall(r'src="images/([^"]+)"', thumbnail):
            assert 'save_for_readme(' in (ROOT / "lessons" / name).read_text() and f'"{image}")' in (ROOT / "lessons" / name).read_text()


def test_every_figure_in_images_is_kept_by_exactly_one_lesson_or_the_tutorial():
    shown = set(re.findall(r"(?:\]\(|src=\")images/([^)\"]+)", README))
    drawn = {path.name for path in (ROOT / "images").iterdir()}
    assert shown <= drawn
    for image in drawn - {"afterupsampling.png"}:
        keepers = [path.name for path in (ROOT / "lessons").glob("*.py") if f'"{image}")' in path.read_text()]
        assert len(keepers) == 1, (image, keepers)


def test_the_gallery_shows_the_lessons_in_the_readmes_order():
    import ast

    tree = ast.parse((ROOT / "docs" / "conf.py").read_text())
    order = next(ast.literal_eval(node.value) for node in tree.body
                 if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "LESSON_ORDER")
    index = README[README.index("In reading order:"): README.index("The trained lessons train")]
    assert list(order) == re.findall(r"\[`(\w+\.py)`\]\(lessons/", index)
