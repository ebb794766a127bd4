"""Imports go one way: config → model → policy → engine → metrics → cli.

Checked statically with ``ast`` over every module, so a violation fails however it is reached.
Only the engine imports SimPy; model never imports policies or the engine.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "colossim"
LAYERS = ["config", "model", "policy", "engine", "metrics", "cli"]
FORBIDDEN_EXTERNAL = {"simpy": {"engine"}}  # package -> layers allowed to import it


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "colossim" and len(parts) > 1 else None


def test_layers_import_only_downwards():
    problems = []
    for layer in LAYERS:
        for path in (SRC / layer).rglob("*.py"):
            rank = LAYERS.index(layer)
            for name in imports_of(path):
                target = layer_of(name)
                if target in LAYERS and LAYERS.index(target) > rank:
                    problems.append(f"{path.relative_to(SRC)} imports {name}")
                top = name.split(".")[0]
                if top in FORBIDDEN_EXTERNAL and layer not in FORBIDDEN_EXTERNAL[top]:
                    problems.append(f"{path.relative_to(SRC)} imports {top}")
    assert not problems, "\n".join(problems)


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from colossim.engine.simulation import Simulation\nimport simpy\n")
    assert imports_of(bad) == {"colossim.engine.simulation", "simpy"}
    assert layer_of("colossim.engine.simulation") == "engine"
