"""Build the optional compiled cores (``classifiers._core``, ``bot.stories._core``); everything else
is in pyproject.toml.

``optional=True``: without a C compiler or Python headers the build step only warns and the
package installs without them; ``classifiers._fast`` and ``bot.stories._fast`` then use the
pure-Python code, which gives the same outputs (only slower). The story core is built without
fused multiply-adds (``-ffp-contract=off``, GCC and Clang) so its float results are the ones
Python computes, on every CPU.
"""

import sys

from setuptools import Extension, setup

_NO_FMA = [] if sys.platform == "win32" else ["-ffp-contract=off"]

setup(ext_modules=[
    Extension("classifiers._core", ["classifiers/_core.c"], optional=True),
    Extension("bot.stories._core", ["bot/stories/_core.c"], optional=True, extra_compile_args=_NO_FMA),
])
