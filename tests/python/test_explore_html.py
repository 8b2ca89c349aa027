"""The recorded explore page (reports/explore/explore.html) opened in headless
Chromium: every plot's SVG laid out with a size and drawn marks inside it.

The page has no script of its own; a copy with a probe appended measures each
<svg> after layout (getBoundingClientRect of the plot and of its marks) and
writes the figures into the DOM, which --dump-dom prints. Chromium is a
Debian package that setup.sh does not install (a browser for one test): where
it is absent the test skips, saying so.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# FP4V_EXPLORE_HTML: another page to check (a fresh `fp4v explore --out DIR`).
PAGE = Path(os.environ.get("FP4V_EXPLORE_HTML", ROOT / "reports" / "explore" / "explore.html"))
# Plots the page draws, by id (harness/src/explore_html.cpp), and the mark
# each one is made of.
PLOTS = {"area-error": "circle", "area-bars": "rect"}

PROBE = """<script>
const out = {};
for (const svg of document.querySelectorAll('svg')) {
  const box = svg.getBoundingClientRect();
  const marks = {};
  for (const tag of ['circle', 'rect', 'path', 'polyline', 'line', 'text']) {
    marks[tag] = [...svg.querySelectorAll(tag)].filter(e => {
      const b = e.getBoundingClientRect();
      return b.width > 0 || b.height > 0;
    }).length;
  }
  out[svg.id || '(no id)'] = {width: box.width, height: box.height, marks};
}
const pre = document.createElement('pre');
pre.id = 'fp4v-probe';
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def headless(browser, *args):
    # --no-sandbox: the tests run as root in CI, where Chromium's sandbox refuses to start.
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def browser():
    path = chromium()
    if path is None:
        pytest.skip("chromium not installed (apt-get install chromium): the page's rendering is not checked")
    return path


def test_every_plot_renders(browser, tmp_path):
    html = PAGE.read_text(encoding="utf-8")
    assert "</body>" in html
    probed = tmp_path / "explore_probed.html"
    probed.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    run = headless(browser, "--window-size=1280,2000", "--dump-dom", probed.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    m = re.search(r'<pre id="fp4v-probe">(.*?)</pre>', run.stdout, re.S)
    assert m, "the probe did not run: " + run.stdout[-500:]
    svgs = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert set(svgs) == set(PLOTS), svgs
    for plot, mark in PLOTS.items():
        s = svgs[plot]
        assert s["width"] > 100 and s["height"] > 100, (plot, s)
        assert s["marks"][mark] > 0, (plot, s)
        assert s["marks"]["text"] > 0, (plot, s)  # labels and axes


def test_screenshot_is_drawn(browser, tmp_path):
    shot = tmp_path / "explore.png"
    run = headless(browser, "--window-size=1280,2000", f"--screenshot={shot}", PAGE.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)
    # A blank page compresses to a few kilobytes; tables and plots do not.
    assert len(data) > 50_000, len(data)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
