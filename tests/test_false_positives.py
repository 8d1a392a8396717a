# SPDX-License-Identifier: GPL-2.0-or-later
"""No packet of a foreign corpus is claimed by xsan, and tshark never dies
on one (heuristic and port dissector against real traffic)."""
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import CORPUS

CORPUS_DIR = CORPUS / "tcpdump-tests"


def _files():
    return sorted(p for p in CORPUS_DIR.glob("*.pcap*") if p.is_file())


def test_corpus_not_claimed(tshark):
    files = _files()
    if not files:
        pytest.skip(f"corpus folder {CORPUS_DIR} absent or empty: false-positive check not run")

    def check(path):
        proc = tshark.run("-Y", "xsan", "-T", "fields", "-e", "frame.number",
                          capture=path, check=False, timeout=120)
        return path.name, proc.returncode, proc.stdout.split()

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        results = list(pool.map(check, files))
    claimed = {n: fr for n, _, fr in results if fr}
    crashed = [n for n, rc, _ in results if rc < 0]
    assert not crashed, f"tshark killed by a signal on: {crashed}"
    assert not claimed, f"xsan claimed foreign packets: {claimed}"
