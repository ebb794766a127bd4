"""docs/policies.md: the "write your own policy" tutorial runs as written, and every registered
policy has a section."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from colossim.policy.registry import BUILTIN_NAMES

DOC = Path(__file__).resolve().parents[2] / "docs" / "policies.md"
BLOCK = re.compile(r"<!-- tutorial: (\S+) -->\n```python\n(.*?)```", re.S)


def documented_policies() -> list[str]:
    """The names in the first column of the table under "## The policies", in its order: the
    built-ins the doc promises (a new built-in adds its row, and no test needs editing)."""
    table = DOC.read_text().split("\n## The policies\n", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^\| `([a-z][a-z0-9-]*)` \|", table, re.M)


def test_the_tutorial_runs(tmp_path, monkeypatch):
    blocks = BLOCK.findall(DOC.read_text())
    assert [name for name, _ in blocks] == ["my_policies.py", "run"]
    (tmp_path / "my_policies.py").write_text(blocks[0][1])
    monkeypatch.syspath_prepend(str(tmp_path))
    exec(compile(blocks[1][1], "tutorial", "exec"), {})


@pytest.mark.parametrize("name", sorted(set(BUILTIN_NAMES) - {"power-aware"}))  # not a
# plugin the environment may hold (the example policies' own instructions install one)
def test_every_builtin_policy_is_documented(name):
    text = DOC.read_text()
    assert f"| `{name}` |" in text and re.search(rf"^### .*\b{re.escape(name)}\b", text, re.M)


SRC = Path(__file__).resolve().parents[2] / "src" / "colossim"


def _documented_triggers() -> set[str]:
    row = next(line for line in DOC.read_text().splitlines() if line.startswith("| `triggers` |"))
    return set(re.findall(r"`([a-z_]+)`", row.split("is one of", 1)[1]))


def test_every_trigger_kind_the_engine_sends_is_documented():
    # QA: the kinds were scattered over the power, reliability and fabric docs
    sent = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        sent.update(re.findall(r"\b_?trigger\(\"([a-z_]+)\"", text))
        # a kind named by a module constant (fabric_cut.py: ``sim.trigger(REASON, ...)``)
        for name in re.findall(r"\b_?trigger\(([A-Z_]+)\b", text):
            sent.update(re.findall(rf"^{name} = \"([a-z_]+)\"", text, re.M))
    assert len(sent) >= 14 and "fabric_cut" in sent and sent == _documented_triggers()


def test_every_field_of_a_job_view_is_documented():
    from dataclasses import fields

    from colossim.policy.view import JobView

    text = DOC.read_text().split("### What a policy sees", 1)[1].split("###", 1)[0]
    missing = [f.name for f in fields(JobView) if f"`{f.name}`" not in text]
    assert missing == []


def test_every_field_of_a_rack_view_is_described():
    # QA: ``gpu_types`` was named only as what ``rack_type`` indexes, and ``racks`` (the
    # number of racks, a property) not at all
    from dataclasses import fields

    from colossim.policy.view import RackView

    row = next(line for line in DOC.read_text().splitlines() if line.startswith("| `racks` |"))
    names = [f.name for f in fields(RackView)]
    names += [name for name, value in vars(RackView).items() if isinstance(value, property)]
    assert "racks" in names
    missing = [name for name in names if f"`{name}` (" not in row]
    assert missing == []
