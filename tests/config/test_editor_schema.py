"""The schema editors get accepts what the loader accepts, on the shipped files, and still
refuses unknown keys and wrong types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from colossim.config.editor_schema import scenario_json_schema
from colossim.config.loader import builtin_scenarios
from colossim.config.yamlmarks import parse_yaml_text, read_yaml_file
from tests.conftest import need

jsonschema = need("jsonschema", "the editor schema is checked with it")

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


BLOCKS_READ_AS_DEFAULTS = [  # an empty block: the loader reads it as {} (or nothing included)
    ("include",), ("reliability",), ("simulation",), ("scheduler",), ("cluster", "fabric"),
    ("cluster", "fabric", "tiers"), ("cluster", "power", "draw"), ("cluster", "power", "ramp"),
    ("jobs", 0, "checkpoint"), ("jobs", 0, "training"), ("reliability", "gpu"),
    ("scheduler", "switch_costs"), ("scheduler", "policy"),
    # lists and mappings empty by default: every entry commented out is none (they were
    # refused as "got null" while an empty block next to them meant its defaults)
    ("catalog",), ("cluster", "power", "jobs"), ("reliability", "maintenance"),
    ("cluster", "power", "events"), ("cluster", "power", "schedule"),
    ("cluster", "fabric", "events"), ("cluster", "fabric", "nic_gbit_s_by_type"),
    ("scheduler", "policy", "params"),
]
NULLS_REFUSED = [("cluster", "rack_groups")]  # required: null is no list of groups


@pytest.mark.parametrize("path", BLOCKS_READ_AS_DEFAULTS + NULLS_REFUSED,
                         ids=lambda path: ".".join(map(str, path)))
def test_an_empty_block_passes_the_schema_exactly_when_it_passes_validate(path, tmp_path):
    from colossim.api import load_scenario
    from colossim.errors import ConfigError
    from tests.scenario_cases import BASE

    data, _ = parse_yaml_text(BASE + "reliability: {}\nscheduler: {policy: {}}\n", "base")
    data["cluster"]["fabric"] = {}
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = None
    (tmp_path / "s.yaml").write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML
    try:
        load_scenario(tmp_path / "s.yaml")
        loads = True
    except ConfigError:
        loads = False
    assert (loads, errors(data) == []) == ((path in BLOCKS_READ_AS_DEFAULTS),) * 2
