"""Sphinx configuration: the lessons in lessons/ as a sphinx-gallery, each executed once by the build.

Build it from the repository root (offline):  python -m sphinx -b html docs docs/_build/html
"""

import logging

import torch

project = "Upsampling with PyTorch"
author = "the contributors"
copyright = "the contributors, MIT licence"
extensions = ["sphinx_gallery.gen_gallery"]
html_theme = "furo"  # its reading column fits the pages' 80-character code; tests/test_pages.py checks them
html_title = project
exclude_patterns = ["_build"]
suppress_warnings = ["config.cache"]  # the reset function below cannot be pickled into Sphinx's cache


THREADS = torch.get_num_threads()


def reset_torch(gallery_conf, fname):
    """Before each lesson: torch's threads as the build started, and no compiled code left from the one before."""
    torch.set_num_threads(THREADS)
    torch._dynamo.reset()
    # torch.compile's "No CUDA runtime is found" on a machine without one: true, and nothing a reader can act on.
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
    # JAX's "Unable to initialize backend 'tpu'" (INFO), which the build would print: nothing a reader acts on.
    logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)

# The lessons in reading order, as the README lists them.
LESSON_ORDER = ("plot_modes.py", "plot_nearest.py", "plot_ranks.py", "plot_signals.py",
                "plot_antialias.py", "plot_checkerboard.py",
                "plot_decoders.py", "plot_encoder_decoder.py", "plot_quality.py",
                "plot_training.py",
                "plot_alias_free.py", "plot_equivariance.py", "plot_porting.py",
                "plot_porting_kernels.py",
                "plot_porting_nearest.py", "plot_runtimes.py")


class ReadingOrder:
    """sphinx-gallery's sort key for the lessons: LESSON_ORDER; a lesson not listed there fails the build."""

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> int:
        if filename not in LESSON_ORDER:
            raise ValueError(f"{filename} is not in docs/conf.py's LESSON_ORDER; add it where it is read")
        return LESSON_ORDER.index(filename)


sphinx_gallery_conf = {
    "examples_dirs": "../lessons",
    "gallery_dirs": "gallery",
    "filename_pattern": r"/plot_",  # every lesson is executed
    "ignore_pattern": r"run_all\.py",
    "within_subsection_order": ReadingOrder,
    "reset_modules": ("matplotlib", reset_torch),
    "abort_on_example_error": True,  # a lesson whose check fails stops the build
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "capture_repr": (),
}
