# SPDX-License-Identifier: GPL-2.0-or-later
"""tools/xsan-batch: parallel runs agree, runs resume, damaged captures are
errors that spare the others, NDJSON is bulk format, and the CSV agrees with
tshark -T fields.

The batch loads the freshly built plugin with --plugin (staged as conftest
stages it); captures are copied to a private folder, so when the suite runs
as root the unprivileged tshark reads them through the tool's stdin path.
"""
import csv
import json
import math
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import BUILD, CAPTURES, REPO

BATCH = REPO / "tools" / "xsan-batch"
SMALL = ["vectors-tcp.pcapng", "vectors-udp.pcapng", "segmentation.pcapng",
         "fragments.pcapng", "story-1-join.pcapng"]
BIG = "story-7-busy.pcapng"  # ~11,000 packets: a few seconds, long enough to interrupt


def _copy(dst, names):
    dst.mkdir(parents=True, exist_ok=True)
    for n in names:
        if not (CAPTURES / n).exists():
            pytest.skip(f"captures/{n} is not there")
        shutil.copyfile(CAPTURES / n, dst / n)
    return dst


def _cmd(out, inputs, *args):
    return ["/usr/bin/python3", str(BATCH), "--plugin", str(BUILD / "xsan.so"), "--progress", "plain",
            "-o", str(out), *map(str, args), *map(str, inputs)]


def _batch(out, inputs, *args, check=True):
    p = subprocess.run(_cmd(out, inputs, *args), capture_output=True, text=True, timeout=600)
    if check and p.returncode != 0:
        raise AssertionError(f"xsan-batch exited {p.returncode}:\n{p.stderr}\n{p.stdout}")
    return p


def _summary(out):
    with open(out / "summary.csv", newline="") as f:
        return list(csv.DictReader(f))


def _ndjson(out):
    return {p.name: p.read_text() for p in sorted((out / "ndjson").glob("*.ndjson"))}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """One -j 1 run over the small captures, shared by the read-only checks."""
    root = tmp_path_factory.mktemp("batch")
    inp = _copy(root / "in", SMALL)
    out = root / "out-j1"
    p = _batch(out, [inp], "-j", "1")
    return inp, out, p


def test_parallel_same_as_serial(small, tmp_path):
    inp, out1, _ = small
    out2 = tmp_path / "out-j2"
    _batch(out2, [inp], "-j", "2")
    assert _summary(out1) == _summary(out2)
    assert _ndjson(out1) == _ndjson(out2)


def test_second_run_skips_finished(small):
    inp, out, _ = small
    before = {p.name: p.stat().st_mtime_ns for p in (out / "ndjson").iterdir()}
    summary = _summary(out)
    p = _batch(out, [inp], "-j", "2")
    assert f"{len(SMALL)} capture(s) already done, skipped" in p.stderr
    assert "done   " not in p.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (out / "ndjson").iterdir()} == before
    assert _summary(out) == summary


def test_force_decodes_again(small, tmp_path):
    inp, out, _ = small
    out2 = tmp_path / "o"
    shutil.copytree(out, out2)
    p = _batch(out2, [inp], "--force")
    assert p.stderr.count("done   ") == len(SMALL)
    assert _summary(out2) == _summary(out)


def test_killed_run_resumes(tmp_path):
    d = _copy(tmp_path / "in", SMALL[:2] + [BIG])
    inp = [d / n for n in SMALL[:2] + [BIG]]  # files run in the order given
    ref = tmp_path / "ref"
    _batch(ref, inp, "-j", "1")

    out = tmp_path / "out"
    # -j 1: the small captures finish first, the big one is in progress
    proc = subprocess.Popen(_cmd(out, inp, "-j", "1"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list((out / "ndjson").glob(f"{BIG}*.part")):
        time.sleep(0.05)
    assert list((out / "ndjson").glob(f"{BIG}*.part")), "the big capture never started"
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)  # no chance to clean up
    proc.wait()
    time.sleep(1)  # the workers get SIGTERM from the kernel when their parent dies
    assert not (out / "state" / f"{BIG}.json").exists()
    assert not (out / "ndjson" / f"{BIG}.ndjson").exists()
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(out) not in ps, "a worker outlived the killed batch"

    p = _batch(out, inp, "-j", "1")
    assert "2 capture(s) already done, skipped" in p.stderr
    assert f"done   {BIG}" in p.stderr
    assert _summary(out) == _summary(ref)
    assert _ndjson(out) == _ndjson(ref)


def test_damaged_captures_are_errors(tmp_path):
    inp = _copy(tmp_path / "in", SMALL[:2] + [BIG])
    data = (CAPTURES / BIG).read_bytes()
    (inp / "truncated.pcapng").write_bytes(data[:len(data) // 2])
    (inp / "garbage.pcap").write_bytes(os.urandom(5000))
    out = tmp_path / "out"
    p = _batch(out, [inp], "-j", "2", check=False)
    assert p.returncode == 1, p.stderr
    assert "5 capture(s), 2 error(s)" in p.stdout
    heads = {r["capture"]: r for r in _summary(out) if r["opcode"] == ""}
    assert heads["garbage.pcap"]["result"] == "error"
    assert "isn't a capture file" in heads["garbage.pcap"]["error"]
    assert heads["truncated.pcapng"]["result"] == "error"
    assert "cut short" in heads["truncated.pcapng"]["error"]
    assert int(heads["truncated.pcapng"]["messages"]) > 0  # what was readable still counts
    for n in SMALL[:2] + [BIG]:
        assert heads[n]["result"] == "ok"
        assert (out / "ndjson" / f"{n}.ndjson").stat().st_size > 0
        assert (out / "state" / f"{n}.json").exists()
    assert not (out / "state" / "garbage.pcap.json").exists()
    assert heads["*"]["result"] == "error"
    # errors are tried again, finished captures are not
    p = _batch(out, [inp], check=False)
    assert p.returncode == 1
    assert "3 capture(s) already done" in p.stderr


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"repeated keys: {[k for k in keys if keys.count(k) > 1]}"
    return dict(pairs)


def test_ndjson_is_bulk_format(small):
    _, out, _ = small
    files = list((out / "ndjson").glob("*.ndjson"))
    assert len(files) == len(SMALL)
    for f in files:
        lines = f.read_text().splitlines()
        assert lines and len(lines) % 2 == 0, f.name
        for i in range(0, len(lines), 2):
            action = json.loads(lines[i], object_pairs_hook=_no_duplicates)
            doc = json.loads(lines[i + 1], object_pairs_hook=_no_duplicates)
            assert list(action) == ["index"] and "_index" in action["index"], lines[i]
            assert "_type" not in action["index"]  # Elasticsearch 8 / OpenSearch 2 refuse it
            assert "layers" in doc and "xsan" in doc["layers"], f"{f.name} line {i + 2}"


def _nearest_rank(vals, p):
    return vals[max(0, math.ceil(p / 100 * len(vals)) - 1)]


def _true(flag):
    """A boolean from -T fields: 4.0 prints 1/0, 4.4 and later True/False."""
    return flag in ("1", "True")


def test_csv_matches_tshark_fields(small, tshark):
    inp, out, _ = small
    rows = _summary(out)
    assert list(rows[0]) == ["capture", "result", "error", "frames", "opcode", "opcode_name", "status",
                             "status_name", "messages", "requests", "responses", "notifies", "errors",
                             "rt_count", "rt_p50_ms", "rt_p90_ms", "rt_p99_ms"]
    names = ["xsan.opcode", "xsan.flags.more", "xsan.flags.response", "xsan.flags.notify",
             "xsan.status", "xsan.time"]
    grand = Counter()
    for cap in SMALL:
        mine = [r for r in rows if r["capture"] == cap]
        per_op = {r["opcode"]: r for r in mine if r["status"] == "" and r["opcode"]}
        head = next(r for r in mine if r["opcode"] == "")
        want, statuses, times = Counter(), Counter(), []
        for f in tshark.fields(inp / cap, names):
            # header fields are one per message, so they line up
            for op, more, resp, notify in zip(f["xsan.opcode"], f["xsan.flags.more"],
                                              f["xsan.flags.response"], f["xsan.flags.notify"]):
                if _true(more):
                    continue
                op = f"0x{int(op, 16):04x}"
                want[op, "messages"] += 1
                kind = "notifies" if _true(notify) else "responses" if _true(resp) else "requests"
                want[op, kind] += 1
            statuses.update(int(s, 0) for s in f["xsan.status"])
            times += [float(t) * 1000 for t in f["xsan.time"]]
        got = Counter({(op, k): int(r[k]) for op, r in per_op.items()
                       for k in ("messages", "requests", "responses", "notifies") if int(r[k])})
        assert got == want, cap
        by_status = Counter()
        for r in mine:
            if r["opcode"] and r["status"] not in ("",):
                by_status[int(r["status"])] += int(r["responses"])
        assert by_status == statuses, cap
        assert int(head["rt_count"]) == len(times), cap
        assert int(head["messages"]) == sum(v for (o, k), v in want.items() if k == "messages")
        assert int(head["errors"]) == sum(n for s, n in statuses.items() if s != 0)
        times.sort()
        for p in (50, 90, 99):
            if times:
                assert float(head[f"rt_p{p}_ms"]) == pytest.approx(_nearest_rank(times, p), abs=0.001)
        grand.update({k: int(head[k]) for k in ("messages", "requests", "responses", "errors")})
    total = next(r for r in rows if r["capture"] == "*" and r["opcode"] == "")
    assert {k: int(total[k]) for k in grand} == dict(grand)
