"""Results are written atomically and with the permissions an ordinary write would give them."""

from __future__ import annotations

import os
import stat

from colossim.metrics.export import atomic_write_text


def test_the_file_gets_0666_less_the_umask_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a" / "result.json", "{}")
        os.umask(0o077)
        atomic_write_text(tmp_path / "private.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a" / "result.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600
    assert (tmp_path / "a" / "result.json").read_text() == "{}"


def test_a_rewrite_replaces_the_file_and_leaves_no_temporary_behind(tmp_path):
    target = tmp_path / "runs.json"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["runs.json"]
