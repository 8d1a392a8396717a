# SPDX-License-Identifier: GPL-2.0-or-later
"""Loading the plugin changes nothing about how tshark fares on foreign
traffic: on every file of ../shared/corpus, tshark -2 -V with the plugin
exits with the same code and prints the same errors as tshark with no
xsan.so at all (not `--disable-protocol xsan`, which still registers it).
test_false_positives.py checks that no packet is claimed; this checks exit
codes and stderr, including what the heuristic might break in others.

Fast: the corpus is merged into a few pcapng files (mergecap -a), each
decoded once per side, two at a time; files mergecap refuses run on their
own. When a merged file differs, its members are run one by one to name
the culprits."""
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import BUILD, CORPUS
from xsan_tshark import Stage

BATCH = 60
REFUSED = re.compile(r'The file "([^"]+)"')


@pytest.fixture(scope="module")
def bare():
    """A staged tshark tree with every stock plugin and no xsan.so."""
    st = Stage(BUILD / "xsan.so")
    st.plugin.unlink()
    out = subprocess.run(st.command(["-G", "plugins"]), env=st.env, capture_output=True,
                         text=True).stdout
    assert "xsan.so" not in out
    yield st
    st.cleanup()


def _corpus():
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".pcap", ".pcapng", ".cap"))


def _merge(files, out):
    """Merge what mergecap accepts into out; return (merged members, refused files)."""
    files, refused = list(files), []
    while files:
        p = subprocess.run(["mergecap", "-a", "-F", "pcapng", "-w", str(out)] + [str(f) for f in files],
                           capture_output=True, text=True)
        if p.returncode == 0:
            return files, refused
        m = REFUSED.search(p.stderr)
        bad = [f for f in files if m and f.name == Path(m.group(1)).name]
        if not bad:  # cannot tell which: run them all alone
            return [], refused + files
        files.remove(bad[0])
        refused.append(bad[0])
    return [], refused


def _norm(text, path):
    """stderr lines, with the file's own name taken out."""
    return sorted(set(l.replace(str(path), "FILE").strip() for l in text.splitlines() if l.strip()))


def _run(stage, path):
    p = subprocess.run(stage.command(["-n", "-r", str(path), "-2", "-V"]), env=stage.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       errors="replace", timeout=600)
    return p.returncode, _norm(p.stderr, path)


def test_plugin_changes_no_exit_code_or_error(tshark, bare, tmp_path):
    files = _corpus()
    if not files:
        pytest.skip(f"corpus folder {CORPUS} absent or empty")
    work = tshark.files / "corpus"
    work.mkdir(exist_ok=True)
    os.chmod(work, 0o755)
    units = []  # (path to decode, members)
    for i in range(0, len(files), BATCH):
        out = work / f"batch-{i // BATCH:03d}.pcapng"
        merged, refused = _merge(files[i:i + BATCH], out)
        if merged:
            units.append((out, merged))
        for f in refused:
            dst = work / f"single-{len(units):04d}-{f.name}"
            shutil.copyfile(f, dst)
            units.append((dst, [f]))
    for u, _ in units:
        os.chmod(u, 0o644)

    def both(unit):
        path, members = unit
        return path, members, _run(tshark.stage_, path), _run(bare, path)

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        results = list(pool.map(both, units))
    differ = [(p, m, w, wo) for p, m, w, wo in results if w != wo]
    crashed = [p.name for p, _, w, _ in results if w[0] < 0]

    culprits = []
    for path, members, _, _ in differ:  # name the files behind each difference
        for f in members:
            one = work / ("one-" + f.name)
            shutil.copyfile(f, one)
            os.chmod(one, 0o644)
            w, wo = _run(tshark.stage_, one), _run(bare, one)
            if w != wo:
                culprits.append(f"{f.name}: with plugin exit {w[0]} {w[1][:3]}, "
                                f"without exit {wo[0]} {wo[1][:3]}")
        if len(members) > 1 and not any(c.split(":")[0] in {m.name for m in members} for c in culprits):
            culprits.append(f"{path.name} (merged {len(members)} files) differs, no single file does")
    assert not crashed, f"tshark with the plugin killed by a signal on {crashed}"
    assert not culprits, "the plugin changes tshark's outcome:\n" + "\n".join(culprits)
    print(f"{len(files)} corpus files in {len(units)} runs per side: same exit codes and errors")
