# SPDX-License-Identifier: GPL-2.0-or-later
"""The documentation matches the plugin: docs/fields.md is what
tools/gen-fields-doc makes of the fresh build, every field has a
description, and every field the specification names is registered."""
import importlib.machinery
import importlib.util
import re

import pytest

from conftest import REPO

SPEC = REPO.parent / "shared" / "spec" / "xsan-wire-v1.md"
FIELDS_MD = REPO / "docs" / "fields.md"


def _load_generator():
    path = REPO / "tools" / "gen-fields-doc"
    loader = importlib.machinery.SourceFileLoader("gen_fields_doc", str(path))
    spec = importlib.util.spec_from_loader("gen_fields_doc", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


gen = _load_generator()


@pytest.fixture(scope="module")
def rows(tshark):
    out = tshark.run("-G", "fields").stdout.splitlines()
    found = gen.field_rows(out)
    assert found, "tshark -G fields lists no xsan field"
    return found


def _table_rows(text):
    """The table rows of a fields document, order ignored."""
    return sorted(line for line in text.splitlines() if line.startswith("| `xsan"))


def test_fields_doc_is_current(rows):
    fresh = gen.render(rows)
    assert FIELDS_MD.is_file(), "docs/fields.md is missing: run tools/gen-fields-doc"
    current = FIELDS_MD.read_text(encoding="utf-8")
    # Rows are compared as sets (tshark does not promise an order); the prose
    # around them must match exactly.
    assert _table_rows(current) == _table_rows(fresh), \
        "docs/fields.md is stale: run tools/gen-fields-doc --allow-missing (or fix the blurbs)"
    strip = lambda t: [l for l in t.splitlines() if not l.startswith("| `xsan")]  # noqa: E731
    assert strip(current) == strip(fresh), "docs/fields.md is stale: run tools/gen-fields-doc"


def test_every_field_has_a_description(rows):
    lacking = gen.missing(rows)
    assert not lacking, "fields without a description (blurb): " + ", ".join(lacking)


def spec_field_names(text):
    """xsan.* names inside backticks of the specification ("xsan.flags.*"
    names xsan.flags; ".error" continuations are not names on their own)."""
    names = set()
    for span in re.findall(r"`([^`]+)`", text):
        for m in re.finditer(r"(?<![\w.])xsan(?:\.[A-Za-z0-9_]+)+", span):
            names.add(m.group(0))
    return names


def test_spec_fields_are_registered(rows):
    if not SPEC.is_file():
        pytest.skip(f"no specification at {SPEC}")
    wanted = spec_field_names(SPEC.read_text(encoding="utf-8"))
    assert wanted, "no xsan.* field found in the specification"
    registered = {r[0] for r in rows}
    assert not sorted(wanted - registered), \
        "fields the specification names but the plugin does not register: " + \
        ", ".join(sorted(wanted - registered))


def test_profile_is_accepted(tshark):
    """tools/install-profile puts profile/Xsan where tshark -C Xsan reads it;
    tshark reads it without a warning and shows its custom columns."""
    import os
    import subprocess
    import xml.etree.ElementTree as ET
    home = tshark.root / "profile-home"   # inside the staged tree: readable by nobody
    home.mkdir(exist_ok=True)
    env = dict(tshark.env, HOME=str(home))
    env.pop("XDG_CONFIG_HOME", None)
    subprocess.run([str(REPO / "tools" / "install-profile")], env=env, check=True,
                   capture_output=True)
    for dirpath, _dirs, files in os.walk(home):
        os.chmod(dirpath, 0o755)
        for f in files:
            os.chmod(os.path.join(dirpath, f), 0o644)
    cap = tshark.stage("vectors-tcp.pcapng")
    # PSML carries the profile's columns by title on every version; from 4.4
    # on, _ws.col.<title> no longer names custom columns.
    args = ["-C", "Xsan", "-r", str(cap), "-Y", "xsan.flags.response == 1", "-T", "psml"]
    proc = subprocess.run(tshark.stage_.command(args), env=env, capture_output=True,
                          text=True, cwd=tshark.files, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", "tshark -C Xsan warned:\n" + proc.stderr
    root = ET.fromstring(proc.stdout)
    titles = [s.text for s in root.find("structure")]
    for c in ["Opcode", "XID", "Status", "Path", "Resp. time"]:
        assert c in titles, f"column {c!r} missing from {titles}"
    rows = [dict(zip(titles, (s.text or "" for s in p))) for p in root.findall("packet")]
    assert any(r["Opcode"] == "HELLO" and r["Status"] == "OK" for r in rows), rows[:5]
    assert any(r["Resp. time"] for r in rows), "no response time shown in the Resp. time column"


def test_profile_widths_cover_its_columns():
    """profile/Xsan/recent gives a width to every column of the profile, in
    the same order (Wireshark ignores the widths otherwise)."""
    prefs = (REPO / "profile" / "Xsan" / "preferences").read_text()
    block = prefs[prefs.index("gui.column.format:"):].split("\n\n")[0]
    formats = re.findall(r'"(%[^"]+)"', block)
    formats = [f.rsplit(":0:R", 1)[0] for f in formats]
    recent = (REPO / "profile" / "Xsan" / "recent").read_text()
    pairs = re.findall(r'^\s+"?(%[^",]+)"?,\s*(\d+)', recent, re.M)
    assert [f for f, _ in pairs] == formats
    widths = dict(pairs)
    for col, least in (("%Cus:xsan.opcode", 120), ("%Cus:xsan.status", 110),
                       ("%Cus:xsan.xid", 96), ("%Cus:xsan.path", 250)):
        assert int(widths[col]) >= least, (col, widths[col])


def _doc_filters():
    """Display filters of the documents' filter tables, and the profile's
    colouring rules."""
    out = []
    for doc in ("README.md", "docs/tutorial.md"):
        in_table = False
        for line in (REPO / doc).read_text(encoding="utf-8").splitlines():
            if line.startswith("| filter |"):
                in_table = True
            elif not line.startswith("|"):
                in_table = False
            m = re.match(r"^\| `([^`]+)` \|", line)
            if in_table and m:
                out.append((doc, m.group(1).replace("\\|", "|")))
    for line in (REPO / "profile" / "Xsan" / "colorfilters").read_text().splitlines():
        if line.startswith("@Xsan"):
            out.append(("profile/Xsan/colorfilters", line.split("@")[2]))
    return out


@pytest.mark.parametrize("where,dfilter", _doc_filters())
def test_documented_filter_compiles(tshark, where, dfilter):
    """Each filter the docs recommend is valid on this Wireshark version
    (4.4 dropped the "~=" operator that 4.0 still took, for instance)."""
    proc = tshark.run("-Y", dfilter, "-c", "1", capture="story-1-join.pcapng", check=False)
    assert proc.returncode == 0 and not proc.stderr.strip(), \
        f"{where}: {dfilter!r} does not compile:\n{proc.stderr}"
