"""report.html loads in a real browser (headless Chromium) with every image decoded.

Chromium is Debian's ``chromium`` package; ``.ci/run`` installs it. Without it the test skips on
a developer's machine and fails under CI=true, so CI can never pass without looking.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from colossim.metrics.report import write_report
from colossim.testing.runner import run_policy
from tests.conftest import missing, need

need("matplotlib", "report plots need the plot extra (in dev)")

FOUR_JOBS = str(Path(__file__).resolve().parent / "four_jobs.yaml")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
# Appended to a copy of the page: after "load", count images the browser actually decoded.
PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const decoded = images.filter(i => i.complete && i.naturalWidth > 0).length;
  const marker = document.createElement("div");
  marker.id = "colossim-probe";
  marker.textContent = "decoded " + decoded + " of " + images.length;
  document.body.appendChild(marker);
});
</script>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        missing("chromium is not installed (apt-get install chromium)", "; .ci/run installs it")
    return found


def browse(tmp_path, page, *args: str) -> subprocess.CompletedProcess:
    browser = chromium()
    command = [browser, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args,
               page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    return write_report(run_policy("fifo", FOUR_JOBS), folder / "report.html")


def test_the_page_loads_with_every_image_decoded(report, tmp_path):
    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text().replace("</body>", PROBE + "</body>"))
    done = browse(tmp_path, probe, "--virtual-time-budget=10000", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r'<div id="colossim-probe">decoded (\d+) of (\d+)</div>', done.stdout)
    assert found, f"the page did not finish loading:\n{done.stdout[-2000:]}"
    assert found.groups() == ("3", "3")
    assert "four-jobs under fifo (seed 0)" in done.stdout


def test_a_screenshot_of_the_report_is_not_blank(report, tmp_path):
    shot = tmp_path / "report.png"
    done = browse(tmp_path, report, "--window-size=1280,3000", f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1280, 3000)
    assert len(data) > 50_000  # plots and tables; a blank page compresses to a few KB


def test_the_probe_counts_a_broken_image_as_not_decoded(report, tmp_path):
    """The check above can fail: a corrupt embedded PNG is not counted."""
    probe = tmp_path / "broken.html"
    broken = '<img alt="broken" src="data:image/png;base64,iVBORw0KGgoAAAA">'
    probe.write_text(report.read_text().replace("</body>", broken + PROBE + "</body>"))
    done = browse(tmp_path, probe, "--virtual-time-budget=10000", "--dump-dom")
    assert re.search(r'<div id="colossim-probe">decoded 3 of 4</div>', done.stdout)


def test_without_chromium_ci_fails_and_a_developer_skips(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium is not installed"):
        chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        chromium()


def test_without_an_optional_module_ci_fails_and_a_developer_skips(monkeypatch):
    """``tests.conftest.need``, as every test of an extra's module uses it (QA: importorskip
    skipped them silently under CI=true too)."""
    import math
    import sys

    assert need("math") is math
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # "import matplotlib" now fails
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"matplotlib is not installed \(plots\); "
                                                    r"CI installs it with the dev extra"):
        need("matplotlib", "plots")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match=r"^matplotlib is not installed \(plots\)$"):
        need("matplotlib", "plots")
