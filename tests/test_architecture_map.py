"""docs/architecture.md's module map names every module of the package (QA: 38 were missing, the
whole performance model among them, and a new contributor looked for it in vain)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "colossim"


def test_every_module_is_in_the_module_map():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows: dict[str, set[str]] = {}
    package = "colossim"
    for line in text.split("## Modules", 1)[1].split("\n## ", 1)[0].splitlines():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if len(cells) < 2 or not cells[1].startswith("`"):
            continue
        package = cells[0].strip("`") or package
        rows.setdefault(package, set()).update(re.findall(r"`([\w/]+(?:\.py)?)`", cells[1]))
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if path.name in ("__init__.py", "__main__.py") and len(parts) > 1 or path.name == \
                "__main__.py" or "__pycache__" in parts:
            continue
        package = "colossim" if len(parts) == 1 else parts[0]
        named = rows.get(package, set())
        inside = f"{parts[1]}/" if len(parts) > 2 else None  # policy/builtin/x.py: builtin/
        if path.name not in named and inside not in named:
            missing.append("/".join(parts))
    assert missing == []
