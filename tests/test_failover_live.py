# SPDX-License-Identifier: GPL-2.0-or-later
"""The live failover of tools/xsan-sim (story 4 over real loopback sockets)
and the tutorial's live part (docs/tutorial.md, section 9): the answers there
state properties, not exact output, since ports and times change on every
run; these tests check exactly those properties on three live runs:

* `xsan-sim both failover --write FILE` (no capture privileges: the
  simulator records what it sends, with packet comments);
* the same captured with dumpcap on lo, as the tutorial does when capturing
  is allowed (skipped where dumpcap may not capture);
* the instructor's way: `xsan-sim server --standby-port ...`, busy clients,
  and `xsan-sim fail`.
"""
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from test_sim import free_port

REPO = Path(__file__).resolve().parent.parent
SIM = REPO / "tools" / "xsan-sim"
PY = "/usr/bin/python3"


def check_failover(tshark, cap, port, standby, comments):
    """What tutorial-answers.md says about the live failover (Ex. 18-20)."""
    act = tshark.fields(cap, ["frame.number", "xsan.epoch", "xsan.failover.rounds",
                              "xsan.failover.votes", "xsan.failover.rejections",
                              "xsan.failover.started_in", "xsan.failover.alarm_in",
                              "xsan.failover.duration"], "xsan.opcode == ACTIVATE")
    assert len(act) == 1, act
    a = act[0]
    # two rounds, three voters each, one refusal; the alarm came before the first vote
    assert a["xsan.failover.rounds"] == ["2"] and a["xsan.failover.votes"] == ["6"]
    assert a["xsan.failover.rejections"] == ["1"] and a["xsan.epoch"] == ["43"]
    started, alarm = int(a["xsan.failover.started_in"][0]), int(a["xsan.failover.alarm_in"][0])
    assert alarm < started < int(a["frame.number"][0])
    assert 0 < float(a["xsan.failover.duration"][0]) < 10
    # the alarm is mdc-a's heartbeat gap of two beats
    gap = tshark.fields(cap, ["frame.number", "xsan.hostname", "xsan.hb.missing"],
                        f"frame.number == {alarm}")
    assert gap[0]["xsan.hostname"] == ["mdc-a.local"] and gap[0]["xsan.hb.missing"] == ["2"]
    rej = tshark.fields(cap, ["xsan.failover.epoch"], "xsan.status == VOTE_REJECTED")
    assert [r["xsan.failover.epoch"] for r in rej] == [["42"]]
    # clients: a retry, NOT_ACTIVE from mdc-a, the new FSM's port from the coordinator
    assert tshark.count(cap, "xsan.flags.retry == 1 && xsan.retransmission_of") >= 1
    assert tshark.count(cap, f"xsan.status == NOT_ACTIVE && tcp.srcport == {port}") >= 1
    reg = tshark.fields(cap, ["xsan.port", "xsan.fsm_state"],
                        "xsan.opcode == FSM_REGISTER && xsan.flags.response == 0")
    assert {"port": [str(standby)], "state": ["2"]} in \
        [{"port": r["xsan.port"], "state": r["xsan.fsm_state"]} for r in reg]
    # on the standby's port only the heuristic finds Xsan: it is decoded all the same
    on_b = tshark.count(cap, f"tcp.port == {standby} && tcp.len > 0")
    assert on_b > 0 and tshark.count(cap, f"xsan && tcp.port == {standby}") == on_b
    assert tshark.count(cap, f"tcp.port == {standby} && xsan.opcode == MOUNT && "
                        "xsan.status == OK") == 2
    assert tshark.count(cap, f"xsan && tcp.port == {standby}",
                        extra=("--disable-heuristic", "xsan_tcp")) == 0
    if comments:
        assert tshark.count(cap, "frame.comment contains \"VOTE_REJECTED\"") == 1
        assert tshark.count(cap, "frame.comment") >= 10


def test_failover_recorded(tshark, tmp_path):
    """`both failover` in one command, exits by itself, bounded in time."""
    port, standby = free_port(), free_port()
    cap = tmp_path / "live.pcapng"
    t0 = time.monotonic()
    proc = subprocess.run([PY, str(SIM), "both", "failover", "--port", str(port),
                           "--standby-port", str(standby), "--write", str(cap)],
                          capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert time.monotonic() - t0 < 40
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "moved to the standby: True" in proc.stdout
    check_failover(tshark, cap, port, standby, comments=True)


def _dumpcap(tmp_path, bpf):
    if not shutil.which("dumpcap"):
        pytest.skip("dumpcap is not installed")
    out = tmp_path / "lo.pcapng"
    cap = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", bpf, "-w", str(out)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    while not out.exists() and cap.poll() is None and time.monotonic() - started < 10:
        time.sleep(0.05)
    if cap.poll() is not None or not out.exists():
        if cap.poll() is None:
            cap.terminate()
            cap.wait(10)
        pytest.skip("capture on lo not permitted here")
    time.sleep(0.5)
    return cap, out


def test_failover_on_loopback(tshark, tmp_path):
    """The tutorial's capture: dumpcap on lo, then `both failover`."""
    port, standby = free_port(), free_port()
    cap, out = _dumpcap(tmp_path, f"port {port} or port {standby}")
    try:
        proc = subprocess.run([PY, str(SIM), "both", "failover", "--port", str(port),
                               "--standby-port", str(standby)],
                              capture_output=True, text=True, timeout=90)
        time.sleep(0.5)
    finally:
        cap.terminate()
        cap.wait(10)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_failover(tshark, out, port, standby, comments=False)


def test_failover_by_hand(tshark, tmp_path):
    """The instructor's way: the cluster as a server, busy clients in another
    process, and one command that makes mdc-a falter. Three processes: only a
    capture on lo sees them all (--write records one process's own sends)."""
    port, standby = free_port(), free_port()
    cap, out = _dumpcap(tmp_path, f"port {port} or port {standby}")
    srv = subprocess.Popen([PY, str(SIM), "server", "--port", str(port), "--standby-port",
                            str(standby), "--idle-exit", "3", "--max-time", "60"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(1.0)
        cli = subprocess.Popen([PY, str(SIM), "client", "failover", "--port", str(port),
                                "--duration", "40"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(2.5)
        fail = subprocess.run([PY, str(SIM), "fail", "--port", str(port)],
                              capture_output=True, text=True, timeout=30)
        assert fail.returncode == 0, fail.stdout + fail.stderr
        assert "stops answering" in fail.stdout
        cli_out = cli.communicate(timeout=60)[0]
        assert cli.returncode == 0, cli_out
        assert "FAILED" not in cli_out and "moved to the standby: True" in cli_out
    finally:
        srv_out = srv.communicate(timeout=30)[0]
        time.sleep(0.5)
        cap.terminate()
        cap.wait(10)
    assert srv.returncode == 0, srv_out
    assert "Traceback" not in srv_out and "no client for 3 s, stopping" in srv_out
    check_failover(tshark, out, port, standby, comments=False)
    assert tshark.count(out, 'xsan.admin_command == "fail MediaVol"') == 1
