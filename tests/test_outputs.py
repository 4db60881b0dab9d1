"""Generated output is written atomically: an interrupted run leaves the previous tree whole."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from schemagen import outputs
from schemagen.outputs import (
    GeneratedFile,
    Manifest,
    build_manifest,
    compute_drift,
    manifest_file,
    read_manifest,
    recover_interrupted,
    write_tree,
)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_write_tree_replaces_the_whole_tree(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write_tree(out, [GeneratedFile("a/x.txt", b"1"), GeneratedFile("b.txt", b"2")])
    drift = write_tree(out, [GeneratedFile("a/x.txt", b"1"), GeneratedFile("c.txt", b"3")])
    assert _tree(out) == {"a/x.txt": b"1", "c.txt": b"3"}
    assert (drift.added, drift.changed, drift.removed) == (("c.txt",), (), ("b.txt",))
    # No staging tree left behind; the previous tree is kept as the next one's (see below).
    assert sorted(p.name for p in tmp_path.iterdir()) == [".generated.schemagen-spare", "generated"]


def test_unchanged_tree_is_not_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    files = [GeneratedFile("x.txt", b"same")]
    write_tree(out, files)
    before = (out / "x.txt").stat().st_mtime_ns
    time.sleep(0.01)
    assert write_tree(out, files).clean
    assert (out / "x.txt").stat().st_mtime_ns == before


def test_paths_cannot_escape_the_output_directory() -> None:
    for bad in ("../x", "/etc/passwd", "a/../../x", ""):
        with pytest.raises(ValueError):
            GeneratedFile(bad, b"")


def test_a_failing_write_leaves_the_previous_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "generated"
    write_tree(out, [GeneratedFile("keep.txt", b"old")])
    calls = {"n": 0}
    original = outputs._write_new

    def failing(path: str, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        original(path, data)

    monkeypatch.setattr(outputs, "_write_new", failing)
    with pytest.raises(OSError):
        write_tree(out, [GeneratedFile("keep.txt", b"new"), GeneratedFile("more.txt", b"x")])
    monkeypatch.undo()
    assert _tree(out) == {"keep.txt": b"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]


def test_sigkill_mid_write_leaves_the_previous_tree(tmp_path: Path) -> None:
    """A real interruption: the writer is killed while it writes thousands of files."""
    out = tmp_path / "generated"
    write_tree(out, [GeneratedFile(f"old/{i}.txt", b"old") for i in range(50)])
    before = _tree(out)
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from schemagen.outputs import GeneratedFile, write_tree
        files = [GeneratedFile(f"new/{{i}}/f.txt", b"x" * 4096) for i in range(20000)]
        print("ready", flush=True)
        write_tree(Path({str(out)!r}), files)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"ready"
    deadline = time.monotonic() + 20
    while not list(tmp_path.glob(".generated.new-*")) and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _tree(out) == before
    recover_interrupted(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generated"]
    assert _tree(out) == before


def test_recovery_restores_a_tree_moved_aside(tmp_path: Path) -> None:
    """The two-rename fallback: dying between the renames leaves `.generated.previous`."""
    out = tmp_path / "generated"
    write_tree(out, [GeneratedFile("x.txt", b"old")])
    out.rename(tmp_path / ".generated.previous")
    recover_interrupted(out)
    assert _tree(out) == {"x.txt": b"old"}


def test_manifest_round_trip_and_outputs_of(tmp_path: Path) -> None:
    files = [
        GeneratedFile("python/a.py", b"a", ("a.json",), "python"),
        GeneratedFile("python/b.py", b"b", ("a.json", "b.json"), "python"),
    ]
    manifest = build_manifest(files, {"a.json": "1", "b.json": "2"})
    write_tree(tmp_path / "out", [*files, manifest_file(manifest)])
    loaded = read_manifest(tmp_path / "out")
    assert loaded == manifest
    assert loaded.outputs_of(["b.json"]) == ("python/b.py",)
    assert loaded.outputs_of(["a.json"]) == ("python/a.py", "python/b.py")
    assert read_manifest(tmp_path / "missing") is None
    (tmp_path / "out" / "manifest.json").write_text("{not json")
    assert read_manifest(tmp_path / "out") is None
    assert Manifest().outputs_of(["x"]) == ()


def test_drift_reports_added_changed_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(
        out,
        [GeneratedFile("same", b"1"), GeneratedFile("edited", b"1"), GeneratedFile("gone", b"1")],
    )
    drift = compute_drift(
        out,
        [GeneratedFile("same", b"1"), GeneratedFile("edited", b"2"), GeneratedFile("new", b"1")],
    )
    assert (drift.added, drift.changed, drift.removed) == (("new",), ("edited",), ("gone",))


def test_the_previous_tree_is_reused_as_the_next_staging_tree_whatever_is_in_it(
    tmp_path: Path,
) -> None:
    out = tmp_path / "generated"
    spare = tmp_path / ".generated.schemagen-spare"
    write_tree(out, [GeneratedFile("a/b/one.txt", b"1"), GeneratedFile("a/two.txt", b"2")])
    assert not spare.exists()  # a first write has no previous tree
    write_tree(out, [GeneratedFile("a/b/one.txt", b"1"), GeneratedFile("c/three.txt", b"3")])
    assert _tree(spare) == {"a/b/one.txt": b"1", "a/two.txt": b"2"}  # the previous tree
    # Whatever a killed run or a person left in the spare goes before it is used.
    (spare / "junk.txt").write_bytes(b"junk")
    (spare / "a" / "b" / "one.txt").write_bytes(b"tampered")
    (spare / "c").mkdir(exist_ok=True)
    (spare / "c" / "three.txt").mkdir()  # a directory where a file belongs
    (spare / "link").symlink_to(tmp_path)
    wanted = [
        GeneratedFile("a/b/one.txt", b"1"),
        GeneratedFile("c/three.txt", b"3"),
        GeneratedFile("d/e/f/four.txt", b"4"),
    ]
    write_tree(out, wanted)
    assert _tree(out) == {f.path: f.content for f in wanted}
    assert sorted(p.name for p in out.iterdir()) == ["a", "c", "d"]
    assert (out / "a" / "b" / "one.txt").stat().st_mode & 0o777 == 0o644
    assert (out / "d" / "e").stat().st_mode & 0o777 == 0o755
    # Without an output directory, a spare is not used (and is cleared away).
    shutil.rmtree(out)
    write_tree(out, wanted)
    assert _tree(out) == {f.path: f.content for f in wanted} and not spare.exists()


def test_a_file_where_the_spare_belongs_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    write_tree(out, [GeneratedFile("a.txt", b"1")])
    (tmp_path / ".generated.schemagen-spare").write_bytes(b"not a directory")
    write_tree(out, [GeneratedFile("a.txt", b"2")])
    assert _tree(out) == {"a.txt": b"2"}
    assert _tree(tmp_path / ".generated.schemagen-spare") == {"a.txt": b"1"}
