"""Bad scenario inputs and the exact problems each must produce, shared by the loader tests
(``tests/config``) and the CLI tests (``tests/cli``).

Every case edits one or two lines of ``BASE`` in place, so its line numbers stay those listed
below and each expected ``FILE:LINE: field: message`` is written out by hand. An expectation
ending in ``...`` is a prefix (for messages that end with the list of installed policies, which
plugins may extend).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# line: 1 name, 2 cluster, 3 pod_size_racks, 4 rack_groups, 5 gpu_type, 6 racks, 7 power,
# 8 supply_mw, 9 jobs, 10 job a, 11-13 its params/tokens/max_gpus, 14 job b, 15-18 its
# params/tokens/min_gpus/max_gpus. Four GB200 NVL72 racks = 4 x 72 = 288 GPUs.
BASE = """\
name: t
cluster:
  pod_size_racks: 2
  rack_groups:
    - gpu_type: GB200
      racks: 4
  power:
    supply_mw: 1.0
jobs:
  - name: a
    params_billion: 8
    tokens_billion: 100
    max_gpus: 72
  - name: b
    params_billion: 70
    tokens_billion: 30
    min_gpus: 72
    max_gpus: 144
"""

# lines 19-21 when appended to BASE; PARAMS then adds lines 22-24
POLICY = "scheduler:\n  policy:\n    name: {name}\n"
PARAMS = "    params:\n      strictt: true\n      strict: maybe\n"
# job b's GPU bounds, lines 17-18
BOUNDS = "    min_gpus: 72\n    max_gpus: 144\n"

CLUSTER_FILE = """\
cluster:
  pod_size_racks: 2
  rack_groups:
    - gpu_type: GB200
      racks: 4
  power:
    supply_mw: 1.0
"""

JOBS_FILE = """\
jobs:
  - name: a
    params_billion: 8
    tokens_billion: 100
    max_gpus: 72
"""


def edit(text: str, old: str, new: str) -> str:
    """Replace one exact, unique piece of ``text`` (the test fails loudly if it is not there)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


@dataclass(frozen=True)
class Case:
    """Files to write (the first is the one loaded), overrides, and the expected problems."""

    id: str
    files: dict[str, str]
    expected: tuple[str, ...]
    overrides: tuple[str, ...] = field(default=())

    def write(self, folder: Path) -> Path:
        for name, text in self.files.items():
            (folder / name).write_text(text, encoding="utf-8")
        return folder / next(iter(self.files))

    def expect(self, folder: Path) -> list[str]:
        return [line.replace("{dir}", str(folder)) for line in self.expected]


def matches(expected: list[str], actual: list[str]) -> bool:
    """Same number of problems, each equal (or starting with an expectation ending in ...)."""
    if len(expected) != len(actual):
        return False
    return all(
        a.startswith(e[:-3]) if e.endswith("...") else a == e
        for e, a in zip(expected, actual, strict=True)
    )


def _one(case_id: str, text: str, *expected: str, overrides: tuple[str, ...] = ()) -> Case:
    return Case(case_id, {"scenario.yaml": text}, expected, overrides)


S = "{dir}/scenario.yaml"

CASES: list[Case] = [
    _one(
        "unknown-key-did-you-mean",
        edit(BASE, "    tokens_billion: 30\n", "    token_billion: 30\n"),
        f"{S}:16: jobs[1].token_billion: unknown field (did you mean 'tokens_billion'?)",
    ),
    _one(
        "unknown-top-level-key",
        edit(BASE, "name: t\n", "nmae: t\n"),
        f"{S}:1: nmae: unknown field (did you mean 'name'?)",
    ),
    _one(
        "wrong-type-whole-number",
        edit(BASE, "      racks: 4\n", "      racks: four\n"),
        f"{S}:6: cluster.rack_groups[0].racks: expected a whole number, got 'four'",
    ),
    _one(
        "yaml-tag",  # a tagged list crashed the loader; a tagged number read as "got 1.1"
        edit(BASE, "name: t\n", "name: !foo [1, 2]\n"),
        f"{S}:1: name: the YAML tag !foo is not supported: remove it",
    ),
    _one(  # ruamel raised Python's ValueError (a traceback, exit 1)
        "integer-too-long",
        edit(BASE, "    max_gpus: 72\n", "    max_gpus: " + "9" * 5000 + "\n"),
        f"{S}:13: jobs[0].max_gpus: a number of 5,000 digits is too long to read (at most 4,300)",
    ),
    _one(
        "integer-too-long-in-set",
        BASE,
        # the option as typed, its middle left out past 1,000 characters (QA: a 50 KB echo)
        f"--set jobs.0.priority={'9' * 478} ...[4,022 characters]... {'9' * 500}: "
        "jobs.0.priority: a number of 5,000 digits is too long to read (at most 4,300)",
        overrides=(f"jobs.0.priority={'9' * 5000}",),
    ),
    _one(  # pydantic's own words: "Unable to parse input string as an integer, exceeded ..."
        "integer-from-float-beyond-64-bits-in-set",
        BASE,
        "--set jobs.0.priority=1e20: jobs[0].priority: expected a whole number from "
        "-9223372036854775808 to 9223372036854775807, got 1e+20",
        overrides=("jobs.0.priority=1e20",),
    ),
    _one(  # accepted, where 1e20 was not
        "priority-beyond-64-bits",
        edit(BASE, "    max_gpus: 72\n",
             "    max_gpus: 72\n    priority: 9999999999999999999999\n"),
        f"{S}:14: jobs[0].priority: must be <= 9223372036854775807, got 9999999999999999999999",
    ),
    _one(  # ruamel obeyed it: max_gpus 0144 read as octal 100, off as false, silently
        "yaml-1.1-directive",
        "%YAML 1.1\n---\n" + edit(BASE, "    max_gpus: 72\n", "    max_gpus: 0144\n"),
        f"{S}:1: %YAML 1.1: colossim reads YAML 1.2 only (where off is text and 0144 is 144): "
        "remove this line",
    ),
    _one(  # it named the schedule: line (9), not the step out of order
        "schedule-out-of-order",
        edit(BASE, "    supply_mw: 1.0\n", "    supply_mw: 1.0\n    schedule:\n"
             "      - {at_s: 7200, supply_mw: 2}\n      - {at_s: 3600, supply_mw: 0.5}\n"),
        f"{S}:11: cluster.power.schedule[1].at_s: 3600 s is not after the step before (7200 s): "
        "steps must be in strictly increasing at_s order",
    ),
    _one(
        "deadline-before-submit",  # taken silently before
        edit(BASE, "    max_gpus: 72\n", "    max_gpus: 72\n    submit_s: 3600\n"
                                          "    deadline_s: 100\n"),
        f"{S}:15: jobs[0].deadline_s: 100 s is not after submit_s (3600 s)",
    ),
    _one(
        "control-character-in-a-name",  # a newline split the job table's row
        edit(BASE, "  - name: a\n", '  - name: "a\\nb"\n'),
        f"{S}:10: jobs[0].name: 'a\\nb' holds a control character",
    ),
    _one(
        "no-racks",  # it blamed spare_racks, at the cluster line, though the file never set it
        edit(BASE, "      racks: 4\n", "      racks: 0\n"),
        f"{S}:6: cluster.rack_groups[0].racks: the cluster has no racks: give a rack group at "
        "least one",
    ),
    _one(
        "quoted-number",  # YAML 1.2 text, which pydantic's lax mode took for the number 4
        edit(BASE, "      racks: 4\n", "      racks: '4'\n"),
        f"{S}:6: cluster.rack_groups[0].racks: expected a number, got the text '4' (remove "
        "the quotes)",
    ),
    _one(
        "infinite-supply",  # .inf is a YAML number no field means: it ran with "supply inf MW"
        edit(BASE, "    supply_mw: 1.0\n", "    supply_mw: .inf\n"),
        f"{S}:8: cluster.power.supply_mw: expected a finite number, got inf",
    ),
    _one(
        "wrong-type-number",
        edit(BASE, "    supply_mw: 1.0\n", "    supply_mw: [1]\n"),
        f"{S}:8: cluster.power.supply_mw: expected a number, got a list",
    ),
    _one(
        "wrong-type-text",
        edit(BASE, "  - name: a\n", "  - name: 2024\n"),
        f"{S}:10: jobs[0].name: expected text, got 2024 (put it in quotes)",
    ),
    _one(
        "wrong-type-block",
        edit(BASE, "  power:\n    supply_mw: 1.0\n", "  power: 1\n\n"),
        f"{S}:7: cluster.power: expected a mapping (key: value lines), got 1",
    ),
    _one(
        "negative-racks",
        edit(BASE, "      racks: 4\n", "      racks: -4\n"),
        f"{S}:6: cluster.rack_groups[0].racks: must be >= 0, got -4",
    ),
    _one(
        "negative-gpus",
        edit(BASE, "    max_gpus: 72\n", "    max_gpus: -72\n"),
        f"{S}:13: jobs[0].max_gpus: must be > 0, got -72",
    ),
    _one(
        "unknown-gpu-type",
        edit(BASE, "gpu_type: GB200", "gpu_type: GB20"),
        f"{S}:5: cluster.rack_groups[0].gpu_type: unknown GPU type 'GB20' (did you mean 'GB200'?)",
    ),
    _one(
        "unknown-policy",
        BASE + POLICY.format(name="fifoo"),
        f"{S}:21: scheduler.policy.name: unknown policy 'fifoo' (did you mean 'fifo'?)...",
    ),
    _one(
        "bad-policy-params",
        BASE + POLICY.format(name="fifo") + PARAMS,
        f"{S}:23: scheduler.policy.params.strictt: unknown field (did you mean 'strict'?)",
        f"{S}:24: scheduler.policy.params.strict: expected true or false, got 'maybe'",
    ),
    _one(  # 360 GPUs = 5 racks; the cluster has 4 x 72 = 288
        "job-never-fits",
        edit(BASE, BOUNDS, "    min_gpus: 360\n    max_gpus: 360\n"),
        f"{S}:17: jobs[1].min_gpus: 360 GPUs can never fit: the cluster has 288 usable GPUs",
    ),
    _one(  # max_gpus >= 72, so whole domains: ceil(100 / 72) = 2 domains = 144 GPUs > 120
        "job-never-fits-its-grain",
        edit(BASE, BOUNDS, "    min_gpus: 100\n    max_gpus: 120\n"),
        f"{S}:18: jobs[1].max_gpus: no grant fits: min_gpus 100 rounds up to 144 GPUs (whole "
        "72-GPU NVLink domains of GB200), above max_gpus 120; raise max_gpus to 144 or set "
        "placement: gpu",
    ),
    _one(  # a check across two fields points at the one it names (line 17, added)
        "moe-top-k-not-below-experts",
        edit(BASE, "    tokens_billion: 30\n",
             "    tokens_billion: 30\n    training: {moe_experts: 4, moe_top_k: 4}\n"),
        f"{S}:17: jobs[1].training.moe_top_k: 4 must be below moe_experts (4)",
    ),
    _one(  # a value no form of a union field accepts: one line, no pydantic internals
        "checkpoint-interval-fits-no-form",
        edit(BASE, "    tokens_billion: 30\n",
             "    tokens_billion: 30\n    checkpoint: {interval_s: -900}\n"),
        f"{S}:17: jobs[1].checkpoint.interval_s: must be > 0 or auto, got -900",
    ),
    _one(  # a duplicate name is found even when the other job of the pair is invalid
        "duplicate-name-beside-an-invalid-job",
        edit(BASE, "    min_gpus: 72\n", "    min_gpus: 200\n")
        + "  - name: b\n    params_billion: 1\n    tokens_billion: 1\n    max_gpus: 72\n",
        f"{S}:14: jobs[1].name: duplicate job name 'b' (jobs[2] has it too)",
        f"{S}:17: jobs[1].min_gpus: 200 exceeds max_gpus (144)",
        f"{S}:19: jobs[2].name: duplicate job name 'b' (jobs[1] has it too)",
    ),
    _one(
        "empty-file",
        "",
        f"{S}:1: the file is empty; a scenario needs at least cluster: and jobs:",
    ),
    _one(
        "only-comments",
        "# a scenario\n# to be written\n",
        f"{S}:1: the file is empty; a scenario needs at least cluster: and jobs:",
    ),
    _one(
        "not-yaml",
        "name: t\ncluster: {pod_size_racks: 2\njobs: []\n",
        f"{S}:3: not valid YAML: expected ',' or '}}', but got ':' (while parsing a flow mapping "
        "at line 2)",
    ),
    _one(
        "duplicate-key",
        edit(BASE, "    tokens_billion: 30\n", "    params_billion: 30\n"),
        f'{S}:16: not valid YAML: found duplicate key "params_billion" with value "30" '
        '(original value: "70")',
    ),
    _one(
        "top-level-list",
        "- name: t\n- cluster: {}\n",
        f"{S}:1: expected a mapping (key: value lines) at the top level, got a list",
    ),
    _one(
        "missing-include",
        "include: nope.yaml\n" + BASE,
        f"{S}:1: include: included file not found: nope.yaml (paths are relative to this file, "
        "or a built-in scenario's name); built-in scenarios: busy, colossus2, small",
    ),
    _one(  # a built-in's name, misspelt: the top-level source said so, an include did not
        "misspelt-built-in-include",
        "include: smal\n" + BASE,
        f"{S}:1: include: included file not found: smal (paths are relative to this file, or "
        "a built-in scenario's name); did you mean the built-in scenario 'small'?",
    ),
    Case(
        "include-cycle",
        {"a.yaml": "include: b.yaml\n", "b.yaml": "# b\ninclude: [a.yaml]\n"},
        ("{dir}/b.yaml:2: include: include cycle: a.yaml -> b.yaml -> a.yaml",),
    ),
    Case(
        "problems-in-included-files",
        {
            "main.yaml": "name: t\ninclude:\n  - cluster.yaml\n  - jobs.yaml\n",
            "cluster.yaml": edit(CLUSTER_FILE, "racks: 4", "racks: -4"),
            "jobs.yaml": edit(JOBS_FILE, "    max_gpus: 72\n", "    max_gpu: 72\n"),
        },
        (
            "{dir}/cluster.yaml:5: cluster.rack_groups[0].racks: must be >= 0, got -4",
            "{dir}/jobs.yaml:2: jobs[0].max_gpus: required field missing",
            "{dir}/jobs.yaml:5: jobs[0].max_gpu: unknown field (did you mean 'max_gpus'?)",
        ),
    ),
    _one(
        "several-problems-at-once",
        edit(
            edit(
                edit(edit(BASE, "name: t\n", "nmae: t\n"), "gpu_type: GB200", "gpu_type: GB20"),
                "    tokens_billion: 100\n",
                "    tokens_billion: many\n",
            ),
            "    min_gpus: 72\n",
            "    min_gpus: 200\n",
        )
        + POLICY.format(name="fifoo"),
        f"{S}:1: nmae: unknown field (did you mean 'name'?)",
        f"{S}:5: cluster.rack_groups[0].gpu_type: unknown GPU type 'GB20' (did you mean 'GB200'?)",
        f"{S}:12: jobs[0].tokens_billion: expected a number, got 'many'",
        f"{S}:17: jobs[1].min_gpus: 200 exceeds max_gpus (144)",
        f"{S}:21: scheduler.policy.name: unknown policy 'fifoo' (did you mean 'fifo'?)...",
    ),
    _one(
        "bool-field-on-is-a-string-in-yaml-1.2",
        BASE + "simulation:\n  check_invariants: on\n",
        f"{S}:20: simulation.check_invariants: expected true or false, got 'on'",
    ),
    _one(
        "set-unknown-path",
        BASE,
        "--set cluster.powr.supply_mw=3: cluster.powr: unknown field (did you mean 'power'?)",
        overrides=("cluster.powr.supply_mw=3",),
    ),
    _one(
        "set-bad-value",
        BASE,
        "--set cluster.power.supply_mw=abc: cluster.power.supply_mw: expected a number, got 'abc'",
        overrides=("cluster.power.supply_mw=abc",),
    ),
    _one(
        "set-index-out-of-range",
        BASE,
        "--set jobs.9.max_gpus=1: jobs.9: index 9 out of range (2 items)",
        overrides=("jobs.9.max_gpus=1",),
    ),
    _one(
        "set-unknown-item-name",
        BASE,
        "--set jobs.c.max_gpus=1: jobs.c: no item named 'c'; items: a, b",
        overrides=("jobs.c.max_gpus=1",),
    ),
    _one(
        "set-by-name-bad-value",
        BASE,
        "--set jobs.b.max_gpus=-1: jobs[1].max_gpus: must be > 0, got -1",
        overrides=("jobs.b.max_gpus=-1",),
    ),
    _one(  # the file's problem and every bad override, together
        "set-several-with-a-file-problem",
        edit(BASE, "      racks: 4\n", "      racks: four\n"),
        f"{S}:6: cluster.rack_groups[0].racks: expected a whole number, got 'four'",
        "--set nodots: expected PATH=VALUE, e.g. cluster.power.supply_mw=700",
        "--set simulation.check_invariants=on: simulation.check_invariants: expected true or "
        "false, got 'on'",
        overrides=("simulation.check_invariants=on", "nodots"),
    ),
]

# one line of BASE swapped for another: (case, line, its replacement, the problems expected)
SWAPS: list[tuple[str, str, str, tuple[str, ...]]] = [
    # the right key one block too high: no near name there, so where it goes
    ("misplaced-key-says-its-block", "name: t\n", "name: t\nseed: 3\n",
     (f"{S}:2: seed: unknown field (it goes inside a block: simulation.seed)",)),
    ("misplaced-job-key-says-its-block", "    max_gpus: 72\n", "    max_gpus: 72\n    tp: 2\n",
     (f"{S}:14: jobs[0].tp: unknown field (it goes inside a block: jobs[0].training.plan.tp)",)),
    # min_gpus and max_gpus are as near; the one that must be given is missing
    ("near-name-prefers-the-required-field", "    max_gpus: 72\n", "    gpus: 72\n",
     (f"{S}:10: jobs[0].max_gpus: required field missing",
      f"{S}:13: jobs[0].gpus: unknown field (did you mean 'max_gpus'?)")),
    # case and hyphens aside, it is the field
    ("unknown-key-in-capitals", "    max_gpus: 72\n", "    MAX_GPUS: 72\n",
     (f"{S}:10: jobs[0].max_gpus: required field missing",
      f"{S}:13: jobs[0].MAX_GPUS: unknown field (did you mean 'max_gpus'?)")),
    # YAML reads full-width digits as text; there were no quotes to remove
    ("full-width-digits", "      racks: 4\n", "      racks: \uff14\n",
     (f"{S}:6: cluster.rack_groups[0].racks: expected a number, got the text '\uff14' "
      "(write it with the digits 0-9)",)),
    # inf is text in YAML, quoted or not: no quotes to remove (QA)
    ("unquoted-inf", "      racks: 4\n", "      racks: inf\n",
     (f"{S}:6: cluster.rack_groups[0].racks: expected a number, got the text 'inf' "
      "(a finite number is needed: YAML reads inf and nan as text)",)),
    ("quoted-number", "      racks: 4\n", "      racks: '4'\n",
     (f"{S}:6: cluster.rack_groups[0].racks: expected a number, got the text '4' "
      "(remove the quotes)",)),
    # a number-or-word field (interval_s: a number, auto or null): pydantic took '120' as 120
    ("quoted-number-beside-a-word", "    max_gpus: 72\n",
     "    max_gpus: 72\n    checkpoint: {interval_s: '120'}\n",
     (f"{S}:14: jobs[0].checkpoint.interval_s: expected a number, got the text '120' "
      "(remove the quotes)",)),
    ("true-for-a-number-beside-a-word", "    max_gpus: 72\n",
     "    max_gpus: 72\n    checkpoint: {interval_s: true}\n",
     (f"{S}:14: jobs[0].checkpoint.interval_s: expected a number, got true",)),
    # found only once the model's shape is derived: these were tracebacks (QA)
    ("batch-below-one-sequence", "    tokens_billion: 100\n",
     "    tokens_billion: 100\n    training: {global_batch_tokens: 4096}\n",
     (f"{S}:13: jobs[0].training.global_batch_tokens: global_batch_tokens (4096) is less than "
      "one sequence (8192 tokens)",)),
    ("heads-not-dividing-the-derived-width", "    tokens_billion: 100\n",
     "    tokens_billion: 100\n    training: {attention_heads: 100}\n",
     (f"{S}:13: jobs[0].training.attention_heads: hidden size 4096 is not a multiple of 100 "
      "attention heads",)),
    ("moe-shared-part-negative", "    tokens_billion: 100\n",
     "    tokens_billion: 100\n    active_params_billion: 1\n"
     "    training: {moe_experts: 16, moe_top_k: 8}\n",
     (f"{S}:13: jobs[0].active_params_billion: active parameters (1e+09) are fewer than "
      "top_k=8 experts of 8.75e+08 each: raise training.moe_experts or lower "
      "training.moe_top_k",)),
]
CASES += [_one(case, edit(BASE, line, new), *problems) for case, line, new, problems in SWAPS]
CASES.append(_one(  # the file's problem, not the override's that set another of the group's fields
    "duplicate-group-name-at-its-line-despite-an-override",
    edit(BASE, "      racks: 4\n",
         "      racks: 2\n    - gpu_type: GB300\n      name: GB200\n      racks: 2\n"),
    f"{S}:5: cluster.rack_groups[0].gpu_type: duplicate rack group name 'GB200' "
    "(cluster.rack_groups[1] has it too)",
    f"{S}:8: cluster.rack_groups[1].name: duplicate rack group name 'GB200' "
    "(cluster.rack_groups[0] has it too)",
    overrides=("cluster.rack_groups.1.racks=1",),
))


# a cluster of two GB200 NVL72 racks in one pod, for scenarios written as text (the lines of
# every file built on it are the same as if written out)
TWO_GB200_RACKS = """\
cluster:
  pod_size_racks: 2
  rack_groups: [{gpu_type: GB200, racks: 2}]
  power: {supply_mw: 1.0}
"""
