# SPDX-License-Identifier: GPL-2.0-or-later
"""captures/ is exactly what tools/gen-captures writes, byte for byte."""
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_regenerate_byte_identical(tmp_path):
    proc = subprocess.run(["/usr/bin/python3", str(REPO / "tools/gen-captures"),
                           "-o", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    fresh = {p.name: p.read_bytes() for p in tmp_path.glob("*.pcapng")}
    committed = {p.name: p.read_bytes() for p in (REPO / "captures").glob("*.pcapng")}
    missing, extra = sorted(set(fresh) - set(committed)), sorted(set(committed) - set(fresh))
    assert not missing and not extra, \
        f"capture set differs (run tools/gen-captures): not in captures/ {missing}, " \
        f"no scenario writes {extra}"
    differ = [n for n in fresh if fresh[n] != committed[n]]
    assert not differ, f"stale captures (run tools/gen-captures): {differ}"


def test_two_runs_identical(tmp_path):
    outs = []
    for d in ("a", "b"):
        subprocess.run(["/usr/bin/python3", str(REPO / "tools/gen-captures"), "-o",
                        str(tmp_path / d), "vectors-tcp.pcapng", "fragments.pcapng"],
                       check=True, capture_output=True, timeout=600)
        outs.append({p.name: p.read_bytes() for p in (tmp_path / d).iterdir()})
    assert outs[0] == outs[1] and len(outs[0]) == 2
