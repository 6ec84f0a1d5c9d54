"""pyproject.toml: `pip install -e .` makes the tutorial importable from anywhere, with requirements.txt as its
dependencies and LICENSE as its licence."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "requirements.txt", "upsample_example.py", "upsample_files.py",
                 "upsample_command.py")


# The suite's own environment has the project installed too (requirements-dev.txt: -e .), through an import hook
# that a .pth file adds at start-up: the child sets it aside (the hook, and its module, which has the same name as
# the one of the install under test), so that only the install under test can answer.
SET_ASIDE = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'upsample_example' not in repr(f)]; "
             "[sys.modules.pop(name) for name in list(sys.modules) if name.startswith('__editable___upsample')]")


def copy_project(project: Path) -> None:
    """What a build needs: the project's files and the lessons' helper package (not the pages)."""
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "lessons" / "upsample_helpers", project / "lessons" / "upsample_helpers",
                    ignore=shutil.ignore_patterns("__pycache__"))


def test_an_installed_project_brings_the_lessons_helpers_and_the_kept_runtimes_results(tmp_path):
    """pip install . (not editable): a lesson's notebook in any folder finds upsample_helpers and its data."""
    project, prefix, elsewhere = tmp_path / "project", tmp_path / "prefix", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    copy_project(project)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--ignore-installed",
                    "--prefix", str(prefix), str(project)], check=True, capture_output=True, timeout=300)
    site_packages = next(prefix.glob("lib/python*/site-packages"))
    script = (f"{SET_ASIDE}; sys.path.insert(0, {str(site_packages)!r}); "
              "import upsample_helpers.runtimes as r; print(r.__file__); print(len(r.kept_results()['cases']))")
    result = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    installed, cases = result.stdout.split()
    assert Path(installed) == site_packages / "upsample_helpers" / "runtimes.py"
    kept = json.loads((ROOT / "lessons" / "upsample_helpers" / "runtimes.json").read_text())
    assert int(cases) == len(kept["cases"]) > 0
    assert not (site_packages / "plot_modes.py").exists()  # the pages stay in the clone


def test_an_editable_install_imports_from_any_folder_with_the_requirements_as_dependencies(tmp_path):
    project, prefix, elsewhere = tmp_path / "project", tmp_path / "prefix", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    copy_project(project)  # a copy: the build writes its egg-info beside the sources
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--ignore-installed",
                    "--prefix", str(prefix), "-e", str(project)], check=True, capture_output=True, timeout=300)
    site_packages = next(prefix.glob("lib/python*/site-packages"))
    script = (f"{SET_ASIDE}; sys.path.insert(0, {str(site_packages)!r}); import site; "
              f"site.addsitedir({str(site_packages)!r}); "  # first on sys.path: its .pth finds its own hook
              "import upsample_example, upsample_files, upsample_command; "
              "print(upsample_example.__file__, upsample_files.__file__, upsample_command.__file__)")
    result = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(project / name) for name in ("upsample_example.py", "upsample_files.py", "upsample_command.py")]
    metadata = next(site_packages.glob("upsample_example-*.dist-info")) / "METADATA"
    requires = [line.split(": ", 1)[1] for line in metadata.read_text().splitlines() if line.startswith("Requires-Dist")]
    wanted = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert requires == wanted
    assert "License-Expression: MIT" in metadata.read_text()
    assert "MIT License" in (ROOT / "LICENSE").read_text().splitlines()[0]


def test_pypis_torch_for_linux_brings_nvidias_libraries_as_the_readme_says():
    import importlib.metadata
    import platform

    if platform.system() != "Linux" or "+cpu" in importlib.metadata.version("torch"):
        pytest.skip("the README's sentence is about PyPI's Linux build")
    nvidia = [dist for dist in importlib.metadata.distributions() if dist.metadata["Name"].startswith("nvidia-")]
    assert any(requirement.startswith("nvidia-") for requirement in importlib.metadata.requires("torch"))
    size = sum(file.locate().stat().st_size for dist in nvidia for file in dist.files or () if file.locate().is_file())
    assert size > 2**30
