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
    assert "value {arg=0}{value=live-failover}" in "\n".join(lines)
    assert "{type=selector}" in args["--story"]
    assert "{type=double}" in args["--speed"]
    assert "{type=boolflag}" in args["--loop"]
    values = [l for l in lines if l.startswith("value {arg=0}")]
    names = [v.split("{value=")[1].split("}")[0] for v in values]
    assert names[:4] == ["story-1-join", "story-2-write-clip", "story-3-collide",
                         "story-4-failover"]
    assert sum("{default=true}" in v for v in values) == 1


def _check_pcap(data, story):
    """The number of packets in a pcapng stream: one section, one Ethernet
    interface, then Enhanced Packet Blocks."""
    return len(_packets(data))


def _packets(data):
    """[(caplen, comment or None)] of a pcapng stream, checking its framing."""
    btype, blen, magic = struct.unpack_from("<III", data)
    assert (btype, magic) == (0x0A0D0D0A, 0x1A2B3C4D)
    off, out = blen, []
    btype, blen, link = struct.unpack_from("<IIH", data, off)
    assert (btype, link) == (1, 1)
    off += blen
    while off < len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        assert btype == 6 and blen >= 32 and off + blen <= len(data)
        caplen = struct.unpack_from("<I", data, off + 20)[0]
        comment, opt = None, off + 28 + caplen + (-caplen % 4)
        while opt + 4 <= off + blen - 4:
            code, olen = struct.unpack_from("<HH", data, opt)
            if code == 0:
                break
            if code == 1:
                comment = data[opt + 4:opt + 4 + olen].decode()
            opt += 4 + olen + (-olen % 4)
        out.append((caplen, comment))
        off += blen
    assert off == len(data)
    return out


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
    # the stories' packet comments come along
    assert [c for _, c in _packets(out.read_bytes())] == [p.comment for p in want]
    assert tshark.count(out, "frame.comment") == tshark.count("story-3-collide.pcapng",
                                                              "frame.comment") > 0


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
        assert f.read(24)[:4] == struct.pack("<I", 0x0A0D0D0A)
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


def test_live_failover(tshark, tmp_path):
    """The live failover through the extcap: real sockets on loopback, no
    capture privileges, packet comments on the stream; the plugin's failover
    analysis is filled in. It ends by itself."""
    out = tmp_path / "live.pcapng"
    proc = subprocess.run(capture_args(out, "live-failover", 1), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    pk = _packets(out.read_bytes())
    comments = [c for _, c in pk if c]
    assert any("VOTE_REJECTED" in c for c in comments), comments
    assert any("NOT_ACTIVE" in c for c in comments), comments
    rows = tshark.fields(out, ["xsan.failover.rounds", "xsan.failover.votes",
                               "xsan.failover.rejections", "xsan.failover.alarm_in",
                               "xsan.failover.duration"], "xsan.opcode == ACTIVATE")
    assert len(rows) == 1, rows
    r = rows[0]
    assert r["xsan.failover.rounds"] == ["2"] and r["xsan.failover.rejections"] == ["1"]
    assert r["xsan.failover.votes"] == ["6"] and r["xsan.failover.alarm_in"]
    assert float(r["xsan.failover.duration"][0]) > 0
    assert tshark.count(out, "xsan.status == NOT_ACTIVE") >= 1
