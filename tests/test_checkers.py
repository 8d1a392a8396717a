# SPDX-License-Identifier: GPL-2.0-or-later
"""Wireshark's own checkers, from the source package of the Wireshark the
plugin is built against (tests/checkers/run), find nothing in the plugin
outside tests/checkers/allow-list, and do find planted faults."""
import re
import shutil
import subprocess

import pytest

from conftest import REPO

RUN = REPO / "tests" / "checkers" / "run"
PLUGIN = REPO / "plugin"


@pytest.fixture(scope="module")
def fields(tshark, tmp_path_factory):
    """`tshark -G fields` of the built plugin: what the table registers."""
    path = tmp_path_factory.mktemp("checkers") / "fields.txt"
    path.write_text(tshark.run("-G", "fields").stdout)
    return path


def run_checkers(fields, *args):
    p = subprocess.run([str(RUN), "--fields", str(fields), *args], capture_output=True,
                       text=True, timeout=900, stdin=subprocess.DEVNULL)
    if p.returncode == 3:
        # tests/checkers/fetch: the mirror answered, but without this
        # Wireshark's source package (an outage fails, exit 2, below).
        lines = p.stderr.strip().splitlines()
        pytest.skip("Wireshark's checkers not run: " + next((ln for ln in lines if "404" in ln), lines[-1]))
    return p


def test_plugin_passes_the_checkers(fields):
    p = run_checkers(fields)
    assert p.returncode == 0, p.stdout + p.stderr
    ran = re.findall(r"^  (\S+)", p.stdout, re.M)
    # on every version: the API, item-call, hf, filter-name, tfs and cppcheck checks
    for tool in ("check", "checkhf.pl", "checkfiltername.pl", "check_tfs.py", "cppcheck/cppcheck.sh"):
        assert any(t.startswith(tool) for t in ran), f"{tool} did not run:\n{p.stdout}"


# A fault per checker, planted in a copy of the plugin: (file, old, new).
FAULTS = [
    ("xsan-stats.c", "static int n_opcodes;",
     "static int n_opcodes;\nstatic int shadow_probe(int index);\n"
     "static int shadow_probe(int index) { int a[2]; a[2] = index; return a[0]; }\n"
     "static const true_false_string probe_tfs = { \"Yes\", \"No\" };"),
    ("packet-xsan.c", "static int hf_xid;", "static int hf_xid;\nstatic int hf_probe_unused;"),
    ("packet-xsan.c", '"xsan.fragment_body"', '"xsanx.fragment_body"'),
    ("xsan-attrs.c", '"xsan.attr_mask.atime", FT_BOOLEAN, 32, NULL, 0x00000020',
     '"xsan.attr_mask.atime", FT_BOOLEAN, 8, NULL, 0x00000120'),
]
# checker -> what it must say about them
EXPECT = {
    "apis": r"shadow.*xsan-stats\.c.*index",
    "cppcheck": r"xsan-stats\.c:\d+:\d+: .*arrayIndexOutOfBounds",
    "tfs": r"probe_tfs.*tfs_yes_no",
    "hf": r"hf_probe_unused",
    "filter": r"xsanx\.fragment_body",
    "typed": r"xsan\.attr_mask\.atime",
}


def test_checkers_find_planted_faults(fields, tmp_path):
    src = tmp_path / "plugin"
    shutil.copytree(PLUGIN, src)
    for name, old, new in FAULTS:
        text = (src / name).read_text()
        assert old in text, f"{name} no longer has {old!r}: update FAULTS"
        (src / name).write_text(text.replace(old, new, 1))
    p = run_checkers(fields, "--sources", str(src))
    assert p.returncode == 1, p.stdout + p.stderr
    for checker, pattern in EXPECT.items():
        assert re.search(rf"^{checker}: .*{pattern}", p.stdout, re.M), \
            f"{checker} did not report the planted fault ({pattern}):\n{p.stdout}"
