"""Sphinx configuration: the lessons in lessons/ as a sphinx-gallery, each executed once by the build.

Build it from the repository root (offline):  python -m sphinx -b html docs docs/_build/html
"""

import torch

project = "Upsampling with PyTorch"
author = "the contributors"
copyright = "the contributors, MIT licence"
extensions = ["sphinx_gallery.gen_gallery"]
html_theme = "alabaster"
html_title = project
exclude_patterns = ["_build"]
suppress_warnings = ["config.cache"]  # the reset function below cannot be pickled into Sphinx's cache


THREADS = torch.get_num_threads()


def reset_torch(gallery_conf, fname):
    """Before each lesson: torch's threads as the build started, and no compiled code left from the one before."""
    torch.set_num_threads(THREADS)
    torch._dynamo.reset()

sphinx_gallery_conf = {
    "examples_dirs": "../lessons",
    "gallery_dirs": "gallery",
    "filename_pattern": r"/(plot|check)_",  # every lesson is executed
    "ignore_pattern": r"(helpers|run_all)\.py",
    "reset_modules": ("matplotlib", reset_torch),
    "abort_on_example_error": True,  # a lesson whose check fails stops the build
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "capture_repr": (),
}
