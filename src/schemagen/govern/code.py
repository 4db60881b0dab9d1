"""The Python the code-reading rules read: discovery, parsing, and `# schemagen: ignore[...]`.

Code files are every `*.py` under the configured code paths (default: the whole project) except
the generated directory, tests, hidden and virtual-environment directories, the schemas directory
and schemagen's own package (the tool is not a consumer of the corpus: it names
`model_json_schema` in its rule definitions and may call it to check what it generated).
"""

from __future__ import annotations

import ast
import io
import os
import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from schemagen.govern.settings import DEFAULT_CODE_EXCLUDE, matches_any
from schemagen.load import display_path

IGNORE_COMMENT = re.compile(r"#\s*schemagen:\s*ignore\[([^\]]*)\]\s*(.*)$")


@dataclass(frozen=True)
class Comment:
    """A `# schemagen: ignore[rule, ...] reason` comment and the lines it covers."""

    rules: tuple[str, ...]
    reason: str
    line: int
    column: int
    covers: frozenset[int]


@dataclass(frozen=True)
class PythonSource:
    path: Path
    relpath: str
    """POSIX path relative to the project root (generated code: to the generated directory)."""
    display: str
    text: str
    tree: ast.Module | None
    error: str | None
    comments: tuple[Comment, ...]


def _comments(text: str) -> tuple[Comment, ...]:
    found: list[Comment] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return ()
    for index, token in enumerate(tokens):
        if token.type != tokenize.COMMENT:
            continue
        match = IGNORE_COMMENT.search(token.string)
        if match is None:
            continue
        rules = tuple(r.strip() for r in match.group(1).split(",") if r.strip())
        line, column = token.start
        # A comment alone on its line covers the next line; after code, its own line.
        alone = all(
            t.type
            in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT)
            for t in tokens[:index]
            if t.start[0] == line
        )
        covers = frozenset({line, line + 1}) if alone else frozenset({line})
        found.append(Comment(rules, match.group(2).strip(), line, column + 1, covers))
    return tuple(found)


def parse_source(path: Path, relpath: str) -> PythonSource:
    display = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return PythonSource(path, relpath, display, "", None, f"cannot read: {error}", ())
    try:
        tree: ast.Module | None = ast.parse(text, filename=display)
        error_text = None
    except (SyntaxError, ValueError) as error:
        tree, error_text = None, f"does not parse: {error}"
    return PythonSource(path, relpath, display, text, tree, error_text, _comments(text))


def _walk_py(root: Path) -> Iterator[Path]:
    if root.is_file():
        if root.suffix == ".py":
            yield root
        return
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield Path(directory) / name


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def discover_code(
    project_root: Path,
    code_paths: Sequence[str],
    exclude: Sequence[str],
    excluded_dirs: Sequence[Path],
) -> tuple[PythonSource, ...]:
    """Hand-written Python files the code rules read, in path order."""
    root = project_root.resolve()
    excluded = [d.resolve() for d in excluded_dirs]
    globs = (*DEFAULT_CODE_EXCLUDE, *exclude)
    seen: dict[Path, PythonSource] = {}
    for entry in code_paths:
        base = (root / entry).resolve()
        if not base.exists():
            continue
        for path in _walk_py(base):
            resolved = path.resolve()
            if resolved in seen or any(resolved.is_relative_to(d) for d in excluded):
                continue
            relpath = _relative(resolved, root) or resolved.as_posix()
            if matches_any(relpath, globs):
                continue
            seen[resolved] = parse_source(resolved, relpath)
    return tuple(seen[p] for p in sorted(seen))


def discover_generated_python(out_dir: Path) -> tuple[PythonSource, ...]:
    base = out_dir / "python"
    if not base.is_dir():
        return ()
    return tuple(
        parse_source(path, path.resolve().relative_to(out_dir.resolve()).as_posix())
        for path in _walk_py(base)
    )
