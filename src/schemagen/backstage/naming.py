"""Names Backstage accepts, derived deterministically from schema text of any shape.

Backstage entity names match `^([A-Za-z0-9]+[-_.])*[A-Za-z0-9]+$` and have at most 63
characters; tags match `^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$`. Text that does not fit is reduced to its
ASCII letters and digits, kebab-cased, and (when cut or emptied) suffixed with a short hash of the
original so that distinct inputs keep distinct names.
"""

from __future__ import annotations

import hashlib
import re

MAX_NAME = 63
ENTITY_NAME = re.compile(r"(?:[A-Za-z0-9]+[-_.])*[A-Za-z0-9]+")
TAG = re.compile(r"[a-z0-9:+#]+(?:-[a-z0-9:+#]+)*")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def kebab(text: str) -> str:
    """`UniversalPhysicsState` -> `universal-physics-state`; non-ASCII and punctuation drop out."""
    split = _CAMEL.sub("-", text)
    return _NOT_ALNUM.sub("-", split.lower()).strip("-")


def fit(name: str, original: str, limit: int = MAX_NAME) -> str:
    """`name` cut to `limit` characters, with a hash of `original` when anything was cut."""
    if len(name) <= limit:
        return name
    return f"{name[: limit - 9].rstrip('-')}-{short_hash(original)}"


def kebab_name(text: str, fallback: str) -> str:
    """A kebab-case name that starts with a letter (service names, directories)."""
    name = kebab(text)
    if not name:
        return f"{fallback}-{short_hash(text)}"
    if not name[0].isalpha():
        name = f"{fallback}-{name}"
    return fit(name, text)


def entity_name(text: str, fallback: str = "entity") -> str:
    """`text` itself when Backstage accepts it as a name, else a kebab-case stand-in."""
    if len(text) <= MAX_NAME and ENTITY_NAME.fullmatch(text):
        return text
    return kebab_name(text, fallback)


def identifier(text: str, fallback: str = "Entity") -> str:
    """A PascalCase identifier (GraphQL type, protobuf message) from any text."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    name = "".join(w[0].upper() + w[1:] for w in words)
    if not name or not name[0].isalpha():
        name = fallback + name
    return name[:MAX_NAME]
