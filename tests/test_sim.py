# SPDX-License-Identifier: GPL-2.0-or-later
"""tools/xsan-sim speaks the model over real sockets: play every scenario on
loopback on a free, non-default port (so the heuristic has to find Xsan),
capture it with dumpcap, and check with the plugin that the capture decodes
as the scenarios say: opcodes in order, statuses, every request answered
with its own xid."""
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from xsangen.wire import Op, Status

REPO = Path(__file__).resolve().parent.parent
SIM = REPO / "tools" / "xsan-sim"
PY = "/usr/bin/python3"


def free_port():
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as t, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            try:
                u.bind(("127.0.0.1", port))
            except OSError:
                continue
            if port != 60868:
                return port
    raise RuntimeError("no free port")


def test_help_documents_modes():
    out = subprocess.run([PY, str(SIM), "--help"], capture_output=True, text=True,
                         timeout=30).stdout
    for word in ("server", "client", "both", "join", "write-clip", "collide"):
        assert word in out


def test_runs_without_capture():
    """The simulator alone: every scenario succeeds and it stops by itself."""
    proc = subprocess.run([PY, str(SIM), "both", "all", "--port", "0", "--pause", "0.01"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FAILED" not in proc.stdout


def test_server_stops_when_idle():
    proc = subprocess.run([PY, str(SIM), "server", "--port", "0", "--idle-exit", "0.5"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and "stopping" in proc.stdout


def test_server_survives_garbage():
    """Malformed bytes on TCP and UDP: refused or dropped, the server goes on."""
    port = free_port()
    srv = subprocess.Popen([PY, str(SIM), "server", "--port", str(port), "--idle-exit", "3"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.sendall(b"GET / HTTP/1.1\r\n\r\n" + b"\0" * 64)
            assert s.recv(4096)[:4] == b"XSAN"    # a GOODBYE, then close
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.sendto(b"XSAN\x01\x18" + b"\xff" * 40, ("127.0.0.1", port))
        rc = subprocess.run([PY, str(SIM), "client", "errors", "--port", str(port)],
                            capture_output=True, text=True, timeout=60)
        assert rc.returncode == 0, rc.stdout + rc.stderr
    finally:
        out = srv.communicate(timeout=20)[0]
    assert srv.returncode == 0, out
    assert "Traceback" not in out


# ------------------------------------------------------------ live capture

@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A dumpcap capture of `xsan-sim both all` on loopback."""
    if not shutil.which("dumpcap"):
        pytest.skip("dumpcap is not installed")
    port = free_port()
    out = tmp_path_factory.mktemp("sim") / "live.pcapng"
    cap = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", f"port {port}", "-w", str(out)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    while not out.exists() and cap.poll() is None and time.monotonic() - started < 10:
        time.sleep(0.05)
    if cap.poll() is not None or not out.exists():
        err = cap.communicate(timeout=10)[1] if cap.poll() is not None else ""
        if cap.poll() is None:
            cap.terminate()
            cap.wait(10)
        pytest.skip(f"capture on lo not permitted here (dumpcap: {err.strip()[:200]})")
    time.sleep(0.5)   # the filter is in place once the file exists; let it settle
    try:
        sim = subprocess.run([PY, str(SIM), "both", "all", "--port", str(port),
                              "--pause", "0.05"], capture_output=True, text=True, timeout=90)
        time.sleep(0.5)
    finally:
        cap.terminate()
        cap.wait(10)
    assert sim.returncode == 0, sim.stdout + sim.stderr
    return out, port


def messages(tshark, live):
    """(frame, transport, opcode, xid, response, notify, status-or-None) per message."""
    path, _ = live
    names = ["frame.number", "udp", "xsan.opcode", "xsan.xid", "xsan.flags.response",
             "xsan.flags.notify", "xsan.flags.more", "xsan.status"]
    out = []
    for r in tshark.fields(path, names, "xsan"):
        st = iter(r["xsan.status"])
        for op, xid, resp, notif, more in zip(r["xsan.opcode"], r["xsan.xid"],
                                              r["xsan.flags.response"],
                                              r["xsan.flags.notify"], r["xsan.flags.more"]):
            resp, more = resp in ("1", "True"), more in ("1", "True")
            if more:
                continue   # a piece; the message is counted where it is complete
            status = int(next(st), 0) if resp else None
            out.append((int(r["frame.number"][0]), "udp" if r["udp"] else "tcp",
                        int(op, 16), int(xid, 16), resp, notif in ("1", "True"), status))
    return out


def test_live_heuristic_port(tshark, live):
    path, port = live
    assert port != 60868
    assert tshark.count(path, f"tcp.port == {port} && xsan") > 50
    assert tshark.count(path, f"udp.port == {port} && xsan") >= 4
    # errors only where the `errors` scenario sends a malformed attribute on purpose
    bad = tshark.fields(path, ["xsan.xid"], "_ws.malformed || _ws.expert.severity >= 0x00800000")
    assert all(int(x, 16) in range(0xE001, 0xF000) for r in bad for x in r["xsan.xid"]), bad


def test_live_every_request_answered(tshark, live):
    msgs = messages(tshark, live)
    reqs = [(m[1], m[2], m[3]) for m in msgs if not m[4] and not m[5]
            and m[2] != Op.GOODBYE]
    resps = [(m[1], m[2], m[3]) for m in msgs if m[4]]
    assert reqs and sorted(reqs) == sorted(resps)


def _scenario(msgs, first_xid, last_xid):
    return [m for m in msgs if first_xid <= m[3] <= last_xid and m[1] == "tcp"]


def test_live_join(tshark, live):
    msgs = messages(tshark, live)
    udp = [(m[2], m[4], m[6]) for m in msgs if m[1] == "udp"]
    assert udp[:4] == [(Op.HEARTBEAT, False, None), (Op.HEARTBEAT, True, 0),
                       (Op.FSM_QUERY, False, None), (Op.FSM_QUERY, True, 0)]
    join = _scenario(msgs, 0xA001, 0xAFFF)
    assert [m[2] for m in join if not m[4]] == [
        Op.HELLO, Op.MOUNT, Op.LOOKUP, Op.LOOKUP, Op.LOOKUP, Op.GETATTR, Op.READDIR,
        Op.KEEPALIVE, Op.KEEPALIVE, Op.UNMOUNT]
    assert {m[6] for m in join if m[4]} == {0}
    # the READDIR answer was big enough to come in pieces, reassembled
    path, _ = live
    assert tshark.count(path, "xsan.opcode == 0x0207 && xsan.flags.more == 1") >= 1
    assert tshark.count(path, "xsan.opcode == 0x0207 && xsan.reassembled.length") == 1


def test_live_write_clip(tshark, live):
    w = _scenario(messages(tshark, live), 0xB001, 0xBFFF)
    assert [(m[2], m[6]) for m in w if m[4]] == [
        (Op.HELLO, 0), (Op.MOUNT, 0), (Op.LOOKUP, 0), (Op.LOOKUP, 0), (Op.LOOKUP, 0),
        (Op.LOOKUP, Status.NOENT), (Op.CREATE, 0), (Op.TOKEN_ACQUIRE, 0), (Op.ALLOCATE, 0),
        (Op.ALLOCATE, 0), (Op.COMMIT_SIZE, 0), (Op.SETATTR, 0), (Op.GETATTR, 0),
        (Op.TOKEN_RELEASE, 0), (Op.UNMOUNT, 0)]


def test_live_collide(tshark, live):
    msgs = messages(tshark, live)
    revokes = [m for m in msgs if m[2] == Op.TOKEN_REVOKE]
    assert len(revokes) == 1 and revokes[0][5]
    conflicts = [m for m in msgs if m[6] == Status.LOCK_CONFLICT]
    assert len(conflicts) == 1 and conflicts[0][2] == Op.LOCK
    release = [m for m in msgs if m[2] == Op.TOKEN_RELEASE and m[3] >= 0xC001 and
               m[3] <= 0xCFFF and not m[4]]
    grant = [m for m in msgs if m[2] == Op.TOKEN_ACQUIRE and m[4] and m[3] == 0x70008]
    assert release and grant and revokes[0][0] < release[0][0] <= grant[0][0]
    assert grant[0][6] == 0


def test_live_admin_and_errors(tshark, live):
    msgs = messages(tshark, live)
    admin = _scenario(msgs, 0x9001, 0x9FFF)
    assert [(m[2], m[6]) for m in admin if m[4]][:5] == [(Op.ADMIN, 0)] * 4 + [
        (Op.ADMIN, Status.PERM)]
    assert any(m[2] == Op.STATS and m[6] == 0 for m in admin)
    errors = _scenario(msgs, 0xE001, 0xEFFF)
    assert [m[6] for m in errors if m[4]] == [
        Status.NOT_MOUNTED, Status.BAD_SESSION, Status.INVAL, Status.BAD_VERSION,
        Status.INVAL, 0, Status.NOENT, 0, Status.NOENT, Status.STALE, Status.INVAL,
        Status.EXIST, Status.NAMETOOLONG, Status.NOTEMPTY, Status.INVAL, Status.INVAL,
        Status.BAD_VERSION, 0]
