# SPDX-License-Identifier: GPL-2.0-or-later
"""tools/extcap/xsan-sim, driven the way Wireshark drives an extcap: list
the interface, its link type and options, then capture into a fifo; what it
wrote must decode with the plugin as the story it replayed."""
import os
import signal
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

import xsan_expect as X

REPO = Path(__file__).resolve().parent.parent
EXTCAP = REPO / "tools" / "extcap" / "xsan-sim"
PY = "/usr/bin/python3"
IFACE = ["--extcap-interface", "xsan-sim"]


def run(*args, timeout=60):
    proc = subprocess.run([PY, str(EXTCAP), *args], capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def capture_args(fifo, story, speed, *extra):
    return [PY, str(EXTCAP), "--capture", *IFACE, "--fifo", str(fifo), "--story", story,
            "--speed", str(speed), *extra]


def test_interfaces():
    out = run("--extcap-interfaces", "--extcap-version=4.0")
    assert out.startswith("extcap {version=")
    assert "interface {value=xsan-sim}{display=Xsan simulator}" in out.splitlines()
    # Help opens the stories' guide of this tree
    readme = (EXTCAP.resolve().parent.parent.parent / "captures" / "README.md").as_uri()
    assert out.splitlines()[0] == f"extcap {{version=1.0}}{{help={readme}}}"


def test_dlts():
    assert run("--extcap-dlts", *IFACE).splitlines() == [
        "dlt {number=1}{name=EN10MB}{display=Ethernet}"]


def test_config():
    lines = run("--extcap-config", *IFACE).splitlines()
    args = {l.split("{call=")[1].split("}")[0]: l for l in lines if l.startswith("arg ")}
    assert set(args) == {"--story", "--speed", "--loop"}
    assert "{type=selector}" in args["--story"]
    assert "{type=double}" in args["--speed"]
    assert "{type=boolflag}" in args["--loop"]
    values = [l for l in lines if l.startswith("value {arg=0}")]
    names = [v.split("{value=")[1].split("}")[0] for v in values]
    assert names[:4] == ["story-1-join", "story-2-write-clip", "story-3-collide",
                         "story-4-failover"]
    assert sum("{default=true}" in v for v in values) == 1


def _check_pcap(data, story):
    magic, major, minor, _, _, snap, link = struct.unpack_from("<IHHiIII", data)
    assert (magic, major, minor, link) == (0xA1B2C3D4, 2, 4, 1)
    n, off = 0, 24
    while off < len(data):
        _, _, caplen, _ = struct.unpack_from("<IIII", data, off)
        off += 16 + caplen
        n += 1
    assert off == len(data)
    return n


def test_capture_to_file(tshark, tmp_path):
    out = tmp_path / "story-3.pcap"
    t0 = time.monotonic()
    subprocess.run(capture_args(out, "story-3-collide", 50), check=True, timeout=60)
    elapsed = time.monotonic() - t0
    want = X.capture("story-3-collide.pcapng").finish()
    span = (want[-1].ts_us - want[0].ts_us) / 1e6
    assert span / 50 * 0.8 < elapsed < span / 50 + 10      # paced, not dumped at once
    assert _check_pcap(out.read_bytes(), "story-3-collide") == len(want)
    assert tshark.count(out, "xsan.opcode == 0x0403") == 1
    assert tshark.count(out, "xsan.status == 0x1004") == 1
    assert tshark.count(out, "xsan") == tshark.count("story-3-collide.pcapng", "xsan")


def test_capture_through_fifo(tshark, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = bytearray()

    def reader():
        with open(fifo, "rb") as f:
            while True:
                chunk = f.read(65536)
                if not chunk:
                    return
                got.extend(chunk)

    t = threading.Thread(target=reader)
    t.start()
    subprocess.run(capture_args(fifo, "story-1-join", 100), check=True, timeout=60)
    t.join(30)
    assert not t.is_alive()
    out = tmp_path / "from-fifo.pcap"
    out.write_bytes(bytes(got))
    assert _check_pcap(bytes(got), "story-1-join") == len(X.capture("story-1-join.pcapng")
                                                          .finish())
    assert tshark.count(out, "xsan.opcode == 0x0207 && xsan.reassembled.length") == 1


def test_reader_goes_away(tmp_path):
    """Wireshark stops reading: the extcap notices and exits cleanly."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    proc = subprocess.Popen(capture_args(fifo, "story-4-failover", 1, "--loop"),
                            stderr=subprocess.PIPE, text=True)
    with open(fifo, "rb") as f:
        assert f.read(24)[:4] == struct.pack("<I", 0xA1B2C3D4)
    assert proc.wait(timeout=20) == 0
    assert "Traceback" not in proc.stderr.read()


def test_sigterm_stops_loop(tmp_path):
    out = tmp_path / "loop.pcap"
    proc = subprocess.Popen(capture_args(out, "story-2-write-clip", 20, "--loop"),
                            stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    assert proc.poll() is None, "--loop ended by itself"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert "Traceback" not in proc.stderr.read()
    n = _check_pcap(out.read_bytes(), "story-2-write-clip")
    assert n > len(X.capture("story-2-write-clip.pcapng").finish())   # looped at least once


@pytest.mark.parametrize("story", ["story-2-write-clip"])
def test_falls_back_to_committed_captures(tshark, tmp_path, story):
    """Without the generator (an installed copy elsewhere), the committed
    capture files are replayed."""
    lone = tmp_path / "extcap"
    lone.mkdir()
    (lone / "xsan-sim").write_text(EXTCAP.read_text())
    env = dict(os.environ, XSAN_CAPTURES_DIR=str(REPO / "captures"))
    listed = subprocess.run([PY, str(lone / "xsan-sim"), "--extcap-config", *IFACE],
                            capture_output=True, text=True, env=env, timeout=30).stdout
    assert "{value=story-2-write-clip}" in listed
    out = tmp_path / "fallback.pcap"
    subprocess.run([PY, str(lone / "xsan-sim"), "--capture", *IFACE, "--fifo", str(out),
                    "--story", story, "--speed", "100"], env=env, check=True, timeout=60)
    assert tshark.count(out, "xsan") == tshark.count(story + ".pcapng", "xsan")
