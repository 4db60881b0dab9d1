"""Smoke test of the build: the package's data files travel with it (Pants `resources`, wheel
package data), so code that loads them through importlib.resources finds them."""

from __future__ import annotations

from importlib import resources


def test_package_data_is_shipped() -> None:
    package = resources.files("schemagen")
    assert package.joinpath("py.typed").is_file()
    assert any(entry.name.endswith(".json") for entry in package.joinpath("schemas").iterdir())
