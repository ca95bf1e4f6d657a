"""The shipped specs and their recipes, installed as the package data of `archspec.specs`.

YAML only: this file makes the folder a package so that pyproject.toml can map it into
archspec and `importlib.resources` finds it in editable and regular installs alike.
Look specs up by name through `archspec.spec.shipped`.
"""
