"""JSON text for generated files: indented by two spaces, keys in their given order, UTF-8,
newline-terminated.

The standard library indents in pure Python; with thousands of bundle and view documents that
was a third of the assemble stage. orjson writes the same layout in C (floats in shortest form:
`1e-9`, not `1e-09`). It refuses integers beyond 64 bits, which a schema may hold; those
documents go through the standard library, so every JSON value can be written.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def json_bytes(value: Any) -> bytes:
    """`value` as indented JSON text, encoded as UTF-8, with a final newline."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except orjson.JSONEncodeError:  # an integer orjson cannot hold, or a non-string key
        return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def json_text(value: Any) -> str:
    return json_bytes(value).decode("utf-8")
