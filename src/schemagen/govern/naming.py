"""Python class names from schema titles, exactly as the Python generator derives them.

The derivation lives in `schemagen.pygen.naming` (one source of truth): a title that already is
an identifier is kept (`UniversalPhysicsState`, `UUID`); any other title's words are capitalised
and joined (`"Base Agent Output"` -> `BaseAgentOutput`). When that makes no identifier
(`"3D Physics Vector"` -> `3DPhysicsVector`) the generator falls back to a safe name and the
title is a `hygiene/invalid-class-name` finding.
"""

from __future__ import annotations

import keyword

from schemagen.pygen.naming import ClassName
from schemagen.pygen.naming import class_name as _generator_class_name


def derive(title: str, fallback: str = "") -> ClassName:
    """The generator's class name for a title (with `problem` set when the title makes none)."""
    return _generator_class_name(title, fallback)


def class_name(title: str) -> str:
    """The class name the generator gives a schema with this title."""
    return derive(title).name


def valid_class_name(name: str) -> bool:
    return bool(name) and name.isascii() and name.isidentifier() and not keyword.iskeyword(name)
