"""scrapyd-deploy builds the egg with ``setup.py bdist_egg`` (and writes a setup.py of its own
where there is none); the project's metadata is in pyproject.toml."""

from setuptools import setup

setup()
