"""``dir(colossim)`` lists the public API, which the package loads lazily (module
``__getattr__``): without a ``__dir__`` it listed only its own globals (QA: dir() and tab
completion showed ``Any``, ``TYPE_CHECKING`` and ``annotations``, no ``simulate``)."""

from __future__ import annotations

import subprocess
import sys

import colossim


def test_dir_lists_the_public_api_and_what_a_module_lists():
    names = dir(colossim)
    assert names == sorted(names)
    assert {"load_scenario", "simulate", "RunResult", "StagedPolicy", "WakeAt"} <= set(names)
    assert set(colossim.__all__) <= set(names)
    assert {"__version__", "__all__", "__name__", "__doc__", "__getattr__"} <= set(names)
    assert all(hasattr(colossim, name) for name in names)


def test_dir_loads_nothing():
    script = ("import sys, colossim\n"
              "names = dir(colossim)\n"
              "print('simulate' in names, 'colossim.api' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]
