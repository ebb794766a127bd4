"""The schema editors get accepts what the loader accepts, on the shipped files, and still
refuses unknown keys and wrong types."""

from __future__ import annotations

from pathlib import Path

import pytest

from colossim.config.editor_schema import scenario_json_schema
from colossim.config.loader import builtin_scenarios
from colossim.config.yamlmarks import read_yaml_file

jsonschema = pytest.importorskip("jsonschema")  # installed with the dev extra (through ray)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [*builtin_scenarios().values(), *sorted((ROOT / "examples" / "compose").glob("*.yaml"))]


def errors(data) -> list[str]:
    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    return sorted(e.message for e in validator.iter_errors(data))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_and_fragments_pass(path):
    data, _ = read_yaml_file(path)
    assert errors(data) == []


def test_loader_extensions_pass_and_mistakes_do_not():
    assert errors({"include": ["a.yaml", "b.yaml"], "x-defaults": {"a": 1}}) == []
    assert errors({"catalog": {"GB200": {"idle_w": 150}}}) == []  # one number of a built-in
    assert errors({"jobs": [{"name": "a", "max_gpus": 8}]}) == []  # a jobs fragment
    assert errors({"surprise": 1})  # unknown keys are still refused...
    assert errors({"jobs": [{"name": "a", "max_gpu": 8}]})  # ...at any depth
    assert errors({"include": 5})
    assert errors({"cluster": {"rack_groups": [{"racks": -1}]}})  # ranges
    assert errors({"simulation": {"check_invariants": "on"}})  # a YAML 1.2 string, not a bool
