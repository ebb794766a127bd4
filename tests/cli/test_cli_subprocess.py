"""The installed entry points as a user runs them: ``python -m colossim`` and ``colossim``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _console_script() -> str:
    beside = Path(sys.executable).with_name("colossim")  # the script of this interpreter's env
    found = str(beside) if beside.exists() else shutil.which("colossim")
    if found is None:
        pytest.fail("the colossim console script is not installed (pip install -e '.[dev]')")
    return found


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False,
                          cwd=cwd)


def test_python_dash_m_colossim_help():
    result = run(sys.executable, "-m", "colossim", "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    for command in ("run", "validate", "policies", "scenarios", "schema"):
        assert command in result.stdout


def test_console_script_exit_codes(tmp_path):
    script = _console_script()
    ok = run(script, "validate", "small")
    assert ok.returncode == 0 and ok.stdout.startswith("ok: small"), ok.stderr

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\nclustr: {}\n", encoding="utf-8")
    refused = run(script, "validate", str(bad))
    assert refused.returncode == 2
    assert f"{bad}:2: clustr: unknown field (did you mean 'cluster'?)" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout

    blocker = tmp_path / "taken"  # --out on a file: bad input, found before the run
    blocker.write_text("x")
    refused = run(script, "run", "small", "--quiet", "--out", str(blocker))
    assert refused.returncode == 2
    assert "is a file, not a folder" in refused.stderr and "Traceback" not in refused.stderr

    # a run that fails (its policy raises): exit 1, the policy's error without a traceback
    (tmp_path / "raising.py").write_text(
        "from colossim.policy.staged import StagedParams, StagedPolicy\n\n\n"
        "class Raising(StagedPolicy):\n    name = 'raising'\n    Params = StagedParams\n\n"
        "    def rank_key(self, job, view):\n        raise RuntimeError('boom')\n")
    failed = run(script, "run", "small", "--quiet", "--policy", "raising:Raising", cwd=tmp_path)
    assert failed.returncode == 1, failed.stderr
    assert "RuntimeError: boom" in failed.stderr and "Traceback" not in failed.stderr


# A real SIGINT, sent by the process to itself at a chosen moment: Python raises
# KeyboardInterrupt there, as when a user presses Ctrl-C then, with no timing involved. The
# script first puts Python's own handler back: a child inherits an ignored SIGINT (pytest started
# in the background with ``&``, under ``nohup``, by some CI runners), and would then run on.
# "import": as the CLI starts importing typer (the first of its heavy imports);
# "parse": as typer reads the command's scenario argument (it imports pydantic then, lazily).
# The ways in are the console script (its entry point loaded and called as the generated
# script does) and ``python -m colossim``.
CTRL_C = """
import os, runpy, signal, sys
from importlib.metadata import entry_points

way, moment = sys.argv[1:]
signal.signal(signal.SIGINT, signal.default_int_handler)

def ctrl_c():
    print(f"SIGINT at {moment}", flush=True)
    os.kill(os.getpid(), signal.SIGINT)

class AtImport:
    def find_spec(self, name, path=None, target=None):
        if name == "typer":
            ctrl_c()
        return None

if moment == "import":
    sys.meta_path.insert(0, AtImport())
else:
    from typer.core import TyperArgument
    process_value = TyperArgument.process_value
    def interrupted(self, ctx, value):
        ctrl_c()
        return process_value(self, ctx, value)
    TyperArgument.process_value = interrupted
sys.argv = ["colossim", "run", "small", "--quiet"]
if way == "script":
    (entry,) = entry_points(group="console_scripts", name="colossim")
    sys.exit(entry.load()())
runpy.run_module("colossim", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize(("way", "moment"), [
    ("script", "import"), ("module", "import"), ("script", "parse")])
def test_ctrl_c_before_the_command_runs_says_interrupted_and_exits_130(way, moment):
    # at import it printed a KeyboardInterrupt traceback (the handler lived in a module still
    # loading); while typer parsed, it exited 130 without a word
    result = run(sys.executable, "-c", CTRL_C, way, moment)
    assert result.stdout == f"SIGINT at {moment}\n"  # it did land there
    assert result.stderr == "interrupted\n"
    assert result.returncode == 130


HEAVY = ("pydantic", "numpy", "ruamel", "simpy", "scipy")
HELP_IMPORTS = """
import runpy, sys
sys.argv = ["colossim", "--help"]
try:
    runpy.run_module("colossim", run_name="__main__")
except SystemExit:
    pass
print(sorted(m for m in %r if m in sys.modules), file=sys.stderr)
"""


def test_help_loads_no_heavy_library():
    # docs/architecture.md: `colossim --help` loads no pydantic, numpy or ruamel (QA: a module
    # the command line imports for --set began to import pydantic, and nothing noticed)
    result = run(sys.executable, "-c", HELP_IMPORTS % (HEAVY,))
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "[]"
