"""YAML emission that keeps every string a string: the scalar and block emitters behind the
Jinja filters, the sandboxed Jinja environment, and the round-trip comparison.

A string is written plain only when no YAML 1.1 or 1.2 reader can take it for anything else: it
does not start with an indicator, a space, a digit, a sign or a dot, holds no `: ` or ` #`, ends in
neither a space nor a colon, holds only printable characters, and is no `yes`/`no`/`on`/`null`/`~`
-like word. A multi-line string whose every line is printable and unpadded becomes
a literal block (`|`, `|-` or `|+`). Everything else is double-quoted with YAML escapes for
backslash, quote, line breaks, tabs and every character outside YAML's printable set, so quotes,
`#`, `: `, `${{ }}`, leading spaces, lone surrogates and numbers-as-strings all read back as the
same string. The generator parses each file back and compares (`strict_equal`) before emitting it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATE_PACKAGE = "schemagen"
TEMPLATE_DIR = "templates/backstage"

# Words some YAML resolver (PyYAML's 1.1 set or the 1.2 core schema that Backstage's `yaml` reads)
# turns into a boolean or null.
_RESERVED_WORDS = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nil", "none", "~", "<<", "="}
)
# A plain scalar may not start with an indicator, a space, or anything a number starts with.
_NOT_FIRST = frozenset("-?:,[]{}#&*!|>'\"%@`<=~ +.0123456789")
_NAMED_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\0": "\\0",
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
}


class YamlText(str):
    """Text that a YAML filter produced; the only kind the templates may interpolate."""

    __slots__ = ()


# YAML's printable set minus line breaks (NEL, LS, PS), BOM and the invisible NBSP.
_UNPRINTABLE = re.compile(
    "[^\x20-\x7e\xa1-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


_NEEDS_ESCAPE = re.compile(f'[\\\\"]|{_UNPRINTABLE.pattern}')


def _printable(char: str) -> bool:
    return _UNPRINTABLE.match(char) is None


def _all_printable(text: str) -> bool:
    return _UNPRINTABLE.search(text) is None


def _escape(char: str) -> str:
    named = _NAMED_ESCAPES.get(char)
    if named is not None:
        return named
    if _printable(char):
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar (always one line)."""
    return '"' + _NEEDS_ESCAPE.sub(lambda found: _escape(found.group()), text) + '"'


def plain_safe(text: str) -> bool:
    """Whether `text` reads back as itself when written unquoted after `key: ` or `- `."""
    return (
        text != ""
        and text[0] not in _NOT_FIRST
        and text[-1] not in " :"
        and ": " not in text
        and " #" not in text
        and _all_printable(text)
        and text.lower() not in _RESERVED_WORDS
    )


def _block_safe(text: str) -> bool:
    if "\n" not in text or not text.strip("\n"):
        return False
    lines = text.rstrip("\n").split("\n")
    return (
        lines[0] != ""
        and not lines[0].startswith(" ")
        and all(_all_printable(line) for line in lines)
        and all(line == line.rstrip(" ") for line in lines)
    )


def block_literal(text: str, indent: int) -> str:
    """A literal block scalar for `text` (caller checked `_block_safe`), content at `indent`."""
    trailing = len(text) - len(text.rstrip("\n"))
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    body = text.rstrip("\n").split("\n") + [""] * (trailing - 1 if trailing > 1 else 0)
    pad = " " * indent
    return f"|{chomp}\n" + "\n".join(pad + line if line else "" for line in body)


def scalar(value: Any) -> str:
    """A one-line YAML scalar for a JSON value (str, int, float, bool, None)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return value if plain_safe(value) else quoted(value)
    raise TypeError(f"not a YAML scalar: {type(value).__name__}")


def _float(value: float) -> str:
    if math.isnan(value):
        raise ValueError("NaN has no YAML form that reads back equal")
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent if exponent[0] in '+-' else '+' + exponent}"
    elif "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{exponent if exponent[0] in '+-' else '+' + exponent}"
    return text


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"mapping keys must be strings, got {type(key).__name__}")
    text = scalar(key)
    if len(text) > 1000:
        raise ValueError("mapping key too long for an implicit YAML key")
    return text


def block_lines(value: Any, indent: int) -> list[str]:
    """Block-style lines for a mapping or sequence, each starting at column `indent`."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            lines.append(f"{pad}{_key(key)}:{_after_indicator(item, indent + 2)}")
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for item in value:
            if isinstance(item, Mapping) and item:
                inner = block_lines(item, indent + 2)
                lines.append(f"{pad}- {inner[0][indent + 2 :]}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}-{_after_indicator(item, indent + 2)}")
    else:
        raise TypeError(f"not a YAML collection: {type(value).__name__}")
    return lines


def _after_indicator(value: Any, indent: int) -> str:
    """What follows `key:` or `-`: an inline scalar, or a newline and a nested block."""
    if isinstance(value, Mapping | list | tuple):
        if not value:
            return " {}" if isinstance(value, Mapping) else " []"
        return "\n" + "\n".join(block_lines(value, indent))
    if isinstance(value, str) and _block_safe(value):
        return " " + block_literal(value, indent)
    return " " + scalar(value)


def _defined(value: Any) -> Any:
    """`value`, unless it is Jinja's Undefined: StrictUndefined raises when turned to text."""
    if isinstance(value, jinja2.Undefined):
        str(value)
        raise jinja2.UndefinedError("undefined value passed to a yaml filter")
    return value


def to_yaml(value: Any, indent: int = 0) -> YamlText:
    """The Jinja `yaml` filter: text to put right after `key:` (or alone for a top-level value).

    Scalars come back inline; a non-empty mapping or sequence comes back as a newline followed by
    its block lines at column `indent`.
    """
    text = _after_indicator(_defined(value), indent)
    return YamlText(text[1:] if text.startswith(" ") else text)


def yaml_document(value: Mapping[str, Any]) -> YamlText:
    """A whole mapping as top-level block lines (the Jinja `yaml_document` filter)."""
    return YamlText("\n".join(block_lines(_defined(value), 0)) if value else "{}")


def yaml_inline(value: Any) -> YamlText:
    """A scalar on one line, whatever it holds (the Jinja `yaml_inline` filter, for comments)."""
    return YamlText(scalar(_defined(value)))


def _only_yaml(value: Any) -> Any:
    """Jinja `finalize`: refuse any interpolation that did not pass through a YAML filter."""
    if isinstance(value, YamlText):
        return value
    raise jinja2.TemplateError(
        f"template interpolated {type(value).__name__} {str(value)[:40]!r} without the yaml filter"
    )


def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_only_yaml,
    )
    env.filters["yaml"] = to_yaml
    env.filters["yaml_document"] = yaml_document
    env.filters["yaml_inline"] = yaml_inline
    return env


def strict_equal(left: Any, right: Any) -> bool:
    """Equality that also tells 1 from True from 1.0 and a tuple from a list (as YAML would)."""
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(strict_equal(left[k], right[k]) for k in left)
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(
            strict_equal(a, b) for a, b in zip(left, right, strict=False)
        )
    if type(left) is not type(right):
        return False
    return bool(left == right)


def first_difference(left: Any, right: Any, pointer: str = "") -> str | None:
    """The JSON Pointer of the first place two values differ, or None when strictly equal."""
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        for key in sorted(set(left) | set(right), key=str):
            if key not in left or key not in right:
                return f"{pointer}/{key}"
            found = first_difference(left[key], right[key], f"{pointer}/{key}")
            if found is not None:
                return found
        return None
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        for index, (a, b) in enumerate(zip(left, right, strict=False)):
            found = first_difference(a, b, f"{pointer}/{index}")
            if found is not None:
                return found
        return None if len(left) == len(right) else f"{pointer}/{min(len(left), len(right))}"
    return None if strict_equal(left, right) else (pointer or "/")
