"""Render a document through its Jinja template and prove it reads back as the intended data."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from schemagen.backstage.yamlout import environment, first_difference

# `key: {{ mapping | yaml }}` leaves a space before the newline; no emitted scalar ends a line in
# a space (quoted ones escape line breaks, literal blocks have no padded lines), so it can go.
_TRAILING_SPACE = re.compile(r" +\n")
# libyaml when PyYAML has it (same YAML 1.1 safe schema, ten times faster). libyaml refuses
# escapes of lone surrogates (`"\ud800"`), which the pure-Python loader and Backstage's reader
# accept, so a text libyaml refuses is read again by the pure-Python loader before it counts
# as unreadable.
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Rendered:
    """The rendered text, or why it cannot be used (it did not read back as `expected`)."""

    text: str
    problem: str | None = None


@functools.cache
def _environment() -> ImmutableSandboxedEnvironment:
    return environment()


def read_back(text: str) -> list[Any]:
    """Every YAML document in `text`, as a safe loader reads it."""
    try:
        return list(yaml.load_all(text, Loader=_FAST_LOADER))
    except yaml.YAMLError:
        return list(yaml.safe_load_all(text))


def render(template: str, expected: Sequence[Any], **context: Any) -> Rendered:
    """`template` rendered with `context`; `problem` says where it differs from `expected`."""
    try:
        text = _TRAILING_SPACE.sub("\n", _environment().get_template(template).render(**context))
    except (jinja2.TemplateError, TypeError, ValueError) as error:  # a value YAML cannot hold
        return Rendered("", f"{template} does not render: {error}")
    try:
        parsed = read_back(text)
    except yaml.YAMLError as error:
        return Rendered(text, f"{template} does not parse back: {error}")
    difference = first_difference(parsed, list(expected))
    if difference is not None:
        return Rendered(text, f"{template} reads back differently at {difference}")
    return Rendered(text)
