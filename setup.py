"""Build the optional compiled core (``classifiers._core``); everything else is in pyproject.toml.

``optional=True``: without a C compiler or Python headers the build step only warns and the
package installs without it; ``classifiers._fast`` then uses the pure-Python code, which gives
the same outputs (only slower).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("classifiers._core", ["classifiers/_core.c"], optional=True)])
