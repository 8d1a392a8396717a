# SPDX-License-Identifier: GPL-2.0-or-later
"""The real Wireshark GUI loads the fresh plugin and the profile: runs
tools/gui-screenshots (two quick shots) into a temporary folder and checks
the PNGs. Skipped when the GUI packages (wireshark-qt, xvfb, xdotool,
imagemagick) are absent."""
import importlib.machinery
import importlib.util
import shutil
import subprocess

import pytest

from conftest import BUILD, REPO

TOOL = REPO / "tools" / "gui-screenshots"
NEEDED = ("wireshark", "Xvfb", "xdotool", "import")

pytestmark = pytest.mark.skipif(any(shutil.which(p) is None for p in NEEDED),
                                reason="GUI packages absent (wireshark-qt xvfb xdotool imagemagick)")


def _tool():
    loader = importlib.machinery.SourceFileLoader("gui_screenshots", str(TOOL))
    spec = importlib.util.spec_from_loader("gui_screenshots", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def test_gui_screenshots(tmp_path):
    shots = ["packet-details", "about-plugins"]
    proc = subprocess.run([str(TOOL), "--plugin", str(BUILD / "xsan.so"), "-o", str(tmp_path),
                           "--only", ",".join(shots)],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tool = _tool()
    for name in shots:
        png = tmp_path / f"{name}.png"
        assert png.is_file(), f"{name}.png not written:\n{proc.stdout}{proc.stderr}"
        width, height, _bpp, _rows = tool.png_pixels(png)
        assert width >= 400 and height >= 300, (name, width, height)
        assert not tool.png_is_blank(png), f"{name}.png is blank"


def test_menu_paths_exist():
    """Every menu path the tutorial and teaching.md name opens its window in
    the real GUI (Statistics > Xsan > Operations, Decode As, Expert
    Information, Coloring Rules, ...)."""
    proc = subprocess.run([str(TOOL), "--plugin", str(BUILD / "xsan.so"), "--check-menus"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [l.split("\t") for l in proc.stdout.splitlines() if "\t" in l]
    tool = _tool()
    assert [l[1] for l in lines] == [m[0] for m in tool.MENUS]
    assert all(l[0] == "ok" for l in lines), proc.stdout
