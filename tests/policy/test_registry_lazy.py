"""The registry knows the built-ins by name and imports one only when it is used, with no
change to what a look-up answers or warns about."""

from __future__ import annotations

import subprocess
import sys

import pytest

from colossim.policy import registry
from tests.policy.plugin_points import installed_plugins
from tests.policy.test_policies_doc import documented_policies
from tests.policy.test_registry_plugins import PLUGINS


def test_the_policies_table_is_read():
    # what the test below compares against: the table's rows, not an empty list
    names = documented_policies()
    assert names[:2] == ["fifo", "priority"] and "power-aware" in names
    assert len(names) == len(set(names))


def test_every_built_in_goes_by_its_documented_name():
    documented = documented_policies()  # the built-ins of docs/policies.md's table
    policies = registry.available()  # plugins the environment holds too (the examples' own
    # instructions install one): only the built-ins are checked
    assert sorted(registry.BUILTIN_NAMES) == sorted(documented), (
        "BUILTIN_MODULES (policy/registry.py) and the table under docs/policies.md's "
        "'## The policies' must name the same policies")
    assert [name for name in policies if name in registry.BUILTIN_NAMES] == sorted(documented)
    for name in documented:
        assert name in policies
        assert policies[name].name == name
    assert "fifoo" not in policies


def test_looking_up_one_built_in_imports_no_other():
    script = (
        "import sys\n"
        "from colossim.policy.registry import available, policy_class\n"
        "assert policy_class('priority').name == 'priority'\n"
        "from colossim.policy.registry import BUILTIN_NAMES\n"
        "print(len(set(available()) & set(BUILTIN_NAMES)), len(BUILTIN_NAMES))\n"
        "print(sorted(m for m in sys.modules if m.startswith('colossim.policy.builtin.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    counts, imported = done.stdout.strip().splitlines()
    listed, builtins = map(int, counts.split())
    assert listed == builtins == len(registry.BUILTIN_NAMES), (
        f"available() listed {listed} of the {builtins} built-ins without importing them")
    assert imported == "['colossim.policy.builtin.priority']"


def test_a_built_in_looked_up_by_name_still_warns_of_broken_plugins(monkeypatch):
    """docs/policies.md: a skipped plugin gets a warning on every command that looks policies
    up; a run of a built-in policy is one."""
    with installed_plugins(monkeypatch, PLUGINS), pytest.warns(registry.PolicyWarning) as caught:
        assert registry.policy_class("fifo").name == "fifo"
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 3
    assert messages[0].startswith("policy entry point 'broken' skipped: ")
    assert messages[1].startswith("policy entry point 'fifo-again' skipped: ")
    assert messages[2].startswith("two policies are named 'twin' ")
