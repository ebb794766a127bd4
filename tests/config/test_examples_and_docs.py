"""The composed example loads as documented, and the scenario docs stay true to the files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from colossim.api import load_scenario
from colossim.config.loader import read_document
from colossim.config.schema import (
    ClusterConfig,
    JobConfig,
    RackGroup,
    Scenario,
    SchedulerConfig,
    SimulationConfig,
)
from colossim.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "examples" / "compose"
SCENARIO_DOC = ROOT / "docs" / "scenario.md"


def test_the_composed_example_takes_each_part_from_its_file():
    sc = load_scenario(COMPOSE / "scenario.yaml")
    assert sc.name == "composed"
    assert [(g.gpu_type, g.racks) for g in sc.cluster.rack_groups] == [("GB200", 4), ("GB300", 4)]
    assert sc.cluster.power.supply_mw == 1.5  # scenario.yaml overrides cluster.yaml's 2.0
    assert sc.cluster.power.pue == 1.1  # ... and keeps the rest of its power block
    assert [j.name for j in sc.jobs] == ["dense-70b", "moe-400b"]
    assert sc.jobs[1].active_params == 22e9
    assert sc.scheduler.policy.name == "priority"
    doc = read_document(COMPOSE / "scenario.yaml")
    assert doc.marks.locate(("jobs", 1, "submit_s")) == (str(COMPOSE / "jobs.yaml"), 17)
    assert doc.marks.locate(("cluster", "power", "supply_mw")) == (
        str(COMPOSE / "scenario.yaml"), 8)
    assert doc.marks.locate(("cluster", "power", "pue")) == (str(COMPOSE / "cluster.yaml"), 12)


def test_an_override_of_the_composed_example_is_reported_against_the_override():
    with pytest.raises(ConfigError) as info:
        load_scenario(COMPOSE / "scenario.yaml", ["jobs.moe-400b.max_gpus=100"])
    assert [str(p) for p in info.value.problems] == [
        "--set jobs.moe-400b.max_gpus=100: jobs[1].max_gpus: 100 is below min_gpus (144)"
    ]


def test_a_model_that_no_longer_fits_is_reported_against_the_override_that_grew_it():
    # llm-70b of small at 100,000 billion parameters: the file's max_gpus line did not change
    with pytest.raises(ConfigError) as info:
        load_scenario("small", ["jobs.llm-70b.params_billion=100000"])
    [problem] = [str(p) for p in info.value.problems]
    # its BF16 weights alone, 1e14 x 2 B = 200 TB, need over 1,075 GB200s (186 GB usable
    # each), far more than the cluster's 288: "raise max_gpus" would not help
    said = re.fullmatch(r"--set jobs\.llm-70b\.params_billion=100000: jobs\[0\]\.params_billion: "
                        r"llm-70b does not fit in memory on the 288 GPUs the cluster can give it "
                        r"\(fewest GPUs it fits in: GB200: ([\d,]+)\); add racks or change the "
                        r"model", problem)
    assert said and int(said[1].replace(",", "")) > 200e12 / 186e9


def test_a_job_that_fits_its_max_gpus_but_not_the_cluster_is_refused_at_load(tmp_path):
    """QA: a 1T model needs 288 H100s (80 GB each; at least 200 for its 16 TB of model state);
    with max_gpus 512 on a 64-GPU cluster it passed validate, then every start was refused and
    the run stalled, blaming the policy."""
    path = tmp_path / "nofit.yaml"
    path.write_text("name: nofit\n"
                    "cluster: {pod_size_racks: 1, rack_groups: [{gpu_type: H100, racks: 1}],\n"
                    "          power: {supply_mw: 1}}\n"
                    "jobs:\n"
                    "  - {name: big, params_billion: 1000, tokens_billion: 10, max_gpus: 512}\n")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    [problem] = [str(p) for p in info.value.problems]
    said = re.fullmatch(rf"{re.escape(str(path))}:5: jobs\[0\]\.max_gpus: big does not fit in "
                        r"memory on the 64 GPUs the cluster can give it \(fewest GPUs it fits "
                        r"in: H100: ([\d,]+)\); add racks or change the model", problem)
    # mixed-precision Adam holds 2 + 2 + 12 = 16 B a parameter: 16 TB over 80 GB is 200 H100s
    assert said and int(said[1].replace(",", "")) >= 16e12 / 80e9


def test_a_job_that_fits_only_a_mix_of_types_loads_only_where_types_may_mix(tmp_path):
    """Review: a 400B job needs 124 GPUs of H100 or A100 (as the model says); the cluster has 64
    of each, so it fits only a 64 + 64 mix. With types unmixed it passed against both types'
    GPUs together, and the run stalled."""
    path = tmp_path / "two.yaml"
    path.write_text("name: two\n"
                    "cluster: {pod_size_racks: 4, power: {supply_mw: 5},\n"
                    "          rack_groups: [{gpu_type: H100, racks: 1}, "
                    "{gpu_type: A100, racks: 2}]}\n"
                    "jobs: [{name: big, params_billion: 400, tokens_billion: 1, min_gpus: 8, "
                    "max_gpus: 512}]\n")
    assert load_scenario(path).cluster.mixed_gpu_types  # the default: a mix holds it
    with pytest.raises(ConfigError) as info:
        load_scenario(path, ["cluster.mixed_gpu_types=false"])
    [problem] = [str(p) for p in info.value.problems]
    said = re.search(r"big does not fit in memory on the 64 GPUs the cluster can give it "
                     r"\(fewest GPUs it fits in: H100: ([\d,]+), A100: ([\d,]+)\); add racks or "
                     r"change the model$", problem)
    # 400e9 x 16 B = 6.4 TB of model state over 80 GB: at least 80 GPUs of either, over 64
    assert said and min(int(n.replace(",", "")) for n in said.groups()) >= 6.4e12 / 80e9


def _doc_blocks() -> dict[str, str]:
    """Fenced YAML blocks of docs/scenario.md that start with '# examples/compose/NAME'."""
    text = SCENARIO_DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(# examples/compose/(\S+).*?\n.*?)```", text, re.S)
    return {name.rstrip(":"): body for body, name in blocks}


def test_the_docs_show_the_example_files_verbatim():
    blocks = _doc_blocks()
    assert set(blocks) == {"cluster.yaml", "jobs.yaml", "scenario.yaml"}
    for name, body in blocks.items():
        assert (COMPOSE / name).read_text(encoding="utf-8") == body, name


@pytest.mark.parametrize(
    "model", [Scenario, ClusterConfig, RackGroup, JobConfig, SchedulerConfig, SimulationConfig]
)
def test_every_foundation_field_is_documented(model):
    text = SCENARIO_DOC.read_text(encoding="utf-8")
    missing = [f for f in model.model_fields
               if not any(s in text for s in (f"`{f}`", f"`{f}.", f"`rack_groups[].{f}`"))]
    assert not missing, f"docs/scenario.md does not describe {model.__name__}: {missing}"


def test_the_colossus2_job_table_matches_the_scenario_file():
    """Each job's row in docs/scenario.md carries the file's sizes, bounds and priority."""
    sc = load_scenario("colossus2")
    text = SCENARIO_DOC.read_text(encoding="utf-8")
    for job in sc.jobs:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{job.name}` |"))
        for figure in (f"{job.min_gpus:,}", f"{job.max_gpus:,}", f"{job.min_gpus // 72:,}",
                       f"{job.max_gpus // 72:,}", f"| {job.priority} |", job.precision.value,
                       f"{job.params_billion:,.0f}B"):
            assert figure in row, f"{job.name}: {figure!r} not in {row!r}"
        if job.tokens_billion is not None:
            assert f"{job.tokens_billion:,.0f}B" in row
    groups = {g.gpu_type: g.racks for g in sc.cluster.rack_groups}
    assert f"{groups['GB200']:,}" in text and f"{groups['GB300']:,}" in text
    assert f"{sc.cluster.pod_size_racks} racks" in text


ENTRY_POINT_GROUPS = {"colossim.policies"}  # named in the docs, not importable


def test_every_colossim_name_the_docs_give_exists():
    """QA: docs/api.md pointed to ``colossim.testing.run_policy``, which does not import."""
    import importlib

    repo = Path(__file__).resolve().parents[2]
    named = {(m.group(1), page.name)
             for page in [*sorted((repo / "docs").glob("*.md")), repo / "README.md"]
             for m in re.finditer(r"`(colossim(?:\.\w+)+)", page.read_text(encoding="utf-8"))}
    missing = []
    for name, page in sorted(named):
        if name in ENTRY_POINT_GROUPS:
            continue
        parts = name.split(".")
        found = False
        for k in range(len(parts), 0, -1):  # the longest importable module, then attributes
            try:
                obj = importlib.import_module(".".join(parts[:k]))
            except ImportError:
                continue
            try:
                for part in parts[k:]:
                    obj = getattr(obj, part)
                found = True
            except AttributeError:
                pass
            break
        if not found:
            missing.append(f"{page}: {name}")
    assert not missing, missing
