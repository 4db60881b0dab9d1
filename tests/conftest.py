"""Shared fixtures: where the repository's corpus and the shared third-party corpora live.

Tests run both from the repository root (plain pytest) and inside a Pants sandbox, where the
repository's `schemas/` is materialised at the same relative path but `../shared` is not; Pants
passes the build root in SCHEMAGEN_BUILDROOT so the shared corpora are found by absolute path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(os.environ.get("SCHEMAGEN_BUILDROOT", Path(__file__).resolve().parent.parent))
SHARED_CORPORA = REPO_ROOT.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def schemas_dir() -> Path:
    """The repository's own corpus, relative to the cwd (the Pants sandbox copy there)."""
    path = Path("schemas")
    assert path.is_dir(), "run tests from the repository root (or through Pants)"
    return path


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    if not SHARED_CORPORA.is_dir():
        pytest.skip(f"shared corpora not found at {SHARED_CORPORA}")
    return SHARED_CORPORA
