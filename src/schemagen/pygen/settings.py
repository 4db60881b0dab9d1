"""The `[tool.schemagen.python]` settings of the Python stage."""

from __future__ import annotations

import keyword
from dataclasses import dataclass

from schemagen.config import Config, ConfigError

DEFAULT_PACKAGE = "familiar_schemas"
DEFAULT_LINE_LENGTH = 100


@dataclass(frozen=True)
class PythonSettings:
    """`package`: the generated package's name (`python/<package>/`); `line_length`: formatting."""

    package: str = DEFAULT_PACKAGE
    line_length: int = DEFAULT_LINE_LENGTH

    @classmethod
    def from_config(cls, config: Config) -> PythonSettings:
        section = config.section("python")
        unknown = sorted(set(section) - {"package", "line_length"})
        if unknown:
            raise ConfigError(f"[tool.schemagen.python] has unknown keys: {', '.join(unknown)}")
        package = section.get("package", DEFAULT_PACKAGE)
        if not isinstance(package, str) or not package.isidentifier() or keyword.iskeyword(package):
            raise ConfigError(
                f"[tool.schemagen.python] package must be a Python identifier, got {package!r}"
            )
        line_length = section.get("line_length", DEFAULT_LINE_LENGTH)
        if not isinstance(line_length, int) or isinstance(line_length, bool) or line_length < 40:
            raise ConfigError(
                f"[tool.schemagen.python] line_length must be an integer >= 40, got {line_length!r}"
            )
        return cls(package, line_length)
