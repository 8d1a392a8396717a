# SPDX-License-Identifier: GPL-2.0-or-later
"""Story 4: the metadata controller fails over.

Wednesday, 16:05 UTC, captured on the monitor port of the metadata switch
(capture filter: UDP 60868, and edit-bay-05's TCP). mdc-a runs the active
FSM of MediaVol; mdc-b runs its standby, listening on TCP 60870 (a port
from the fsports range: Wireshark finds Xsan there by heuristic).

1. Every fsmpm heartbeats to the coordinator nss-1 once a second (EPOCH 41).
   edit-bay-05 mounts MediaVol on mdc-a and works.
2. mdc-a starts thrashing on a failing metadata LUN. Its heartbeats falter:
   HB_SEQ jumps from 88411 to 88414 (two beats counted, never sent), then it
   goes silent. edit-bay-05's GETATTR gets a TCP ACK (the kernel is alive)
   but no answer; after 3 s the client sends it again with the `retry` flag.
3. More than three intervals of silence: the coordinator calls an election
   for MediaVol, candidate mdc-b. Round 1 (EPOCH 42): edit-bay-07 refuses
   (VOTE_REJECTED), its session lease on mdc-a has not run out yet. Round 2
   (EPOCH 43), after that lease expired: everyone agrees.
4. ACTIVATE (a NOTIFY) tells mdc-b's fsmpm to start the FSM; it replays the
   journal and registers as ACTIVE on port 60870. Heartbeat answers now say
   EPOCH 43.
5. mdc-a recovers, learns EPOCH 43 from its next heartbeat answer, registers
   as STANDBY, and answers edit-bay-05's old GETATTR with NOT_ACTIVE.
6. edit-bay-05 asks the coordinator again (FSM_QUERY), says GOODBYE to
   mdc-a, connects to mdc-b:60870, HELLO, MOUNT (a new session id from the
   new FSM) and repeats its GETATTR, which now succeeds.
"""
from ..cast import Xids
from ..net import Capture
from ..wire import Op, Status, Tag, message
from .house import (CLIP_INODE0, FSMPM_PORT, A, Fsmpm, Heartbeats, Session, addr_attr,
                    err, ok, site, utc, wall_ns)

NAME = "story-4-failover.pcapng"
STANDBY_PORT = 60870
OLD_SESSION, NEW_SESSION = 0x3A41C501, 0x5B000007
CLIP5 = CLIP_INODE0 + 4


def getattr_ok(cap, inode):
    t = wall_ns(cap) - 5 * 3600 * 10**9
    return ok(A(Tag.FILE_TYPE, 1), A(Tag.MODE, 0o100644), A(Tag.UID, 501), A(Tag.GID, 20),
              A(Tag.SIZE, 1348 * 2**20 + 4 * 7919), A(Tag.NLINK, 1), A(Tag.MTIME, t),
              A(Tag.ATIME, t), A(Tag.CTIME, t))


class Coordinator:
    """nss-1's side of an election: it asks, the fsmpms answer."""

    def __init__(self, cap, nss):
        self.cap, self.nss, self.xids = cap, nss, Xids(0x00E10001)

    def vote(self, voter, volume, epoch, candidate, priority, refuse=None,
             comment=None, reply=None):
        q = message(Op.ELECTION_VOTE, self.xids(),
                    [A(Tag.VOLUME, volume), A(Tag.EPOCH, epoch), addr_attr(candidate),
                     A(Tag.PRIORITY, priority)])
        self.cap.udp_msgs(self.nss, voter, FSMPM_PORT, FSMPM_PORT, [q], comment)
        self.cap.advance(0.16, jitter_us=60)
        resp = ok() if refuse is None else err(Status.VOTE_REJECTED, refuse)
        r = message(Op.ELECTION_VOTE, q.xid, resp, response=True)
        self.cap.udp_msgs(voter, self.nss, FSMPM_PORT, FSMPM_PORT, [r], reply)
        self.cap.advance(0.05, jitter_us=30)
        return q, r

    def activate(self, fsmpm_host, volume, epoch, comment=None):
        m = message(Op.ACTIVATE, self.xids(), [A(Tag.VOLUME, volume), A(Tag.EPOCH, epoch)],
                    notify=True)
        return self.cap.udp_msgs(self.nss, fsmpm_host, FSMPM_PORT, FSMPM_PORT, [m], comment)


def register(fsmpm, volume, port, priority, state, comment=None, reply=None):
    return fsmpm.exchange(Op.FSM_REGISTER, [A(Tag.VOLUME, volume), A(Tag.PORT, port),
                                            A(Tag.PRIORITY, priority), A(Tag.FSM_STATE, state)],
                          ok(), comment, reply, svc_ms=0.2)


def build():
    cap = Capture(seed=104, start_us=utc(2024, 11, 27, 16, 5, 0, 12044))
    cap.labels = {}
    h = site()
    nss, mdc_a, mdc_b = h["nss"], h["mdc-a"], h["mdc-b"]
    pm = {"mdc-a": Fsmpm(cap, mdc_a, nss, 88410, 1209600, 0x00A10001),
          "mdc-b": Fsmpm(cap, mdc_b, nss, 88377, 1209571, 0x00B10001),
          "bay05": Fsmpm(cap, h["bay05"], nss, 20031, 27403, 0x00050101),
          "bay07": Fsmpm(cap, h["bay07"], nss, 19876, 27250, 0x00070101)}
    beats = Heartbeats(cap, epoch=41)
    for name, first in (("mdc-a", 120), ("mdc-b", 370), ("bay05", 550), ("bay07", 810)):
        beats.add(name, pm[name], first)
    beats.comment_next("mdc-a", "every fsmpm heartbeats to nss-1 once a second; this is "
                       "mdc-a, where MediaVol's FSM is active (HB_SEQ 88410)")
    coord = Coordinator(cap, nss)

    # -- 1. normal life --------------------------------------------------
    beats.idle(1000)
    s = Session(cap, h["bay05"], mdc_a, 51207, xid_start=0x0000D001)
    s.connect("edit-bay-05 connects to the FSM of MediaVol on mdc-a")
    s.hello("7e1d5c2a-4b3f-4e21-9a8d-05edb05a0005", lease=10)
    s.mount("MediaVol", OLD_SESSION, reply="session 0x3a41c501 on mdc-a")
    beats.idle(640)
    s.call(Op.GETATTR, [A(Tag.INODE, CLIP5 - 1)], getattr_ok(cap, CLIP5 - 1), svc_ms=0.2,
           comment="normal work: GETATTR answered in a fraction of a millisecond")
    cap.labels["last_beat_before_gap"] = beats.labels["mdc-a"][-1]

    # -- 2. mdc-a falters ------------------------------------------------
    beats.stop("mdc-a")
    beats.idle(1050)
    q = s.request(Op.GETATTR, [A(Tag.INODE, CLIP5)],
                  comment="GETATTR clip005.mov: mdc-a's kernel ACKs the segment, but the "
                  "FSM, stuck on a failing metadata LUN, does not answer")
    cap.labels["getattr_unanswered"] = len(cap.packets)
    beats.idle(1130)
    beats.resume("mdc-a", skip=2)
    beats.comment_next("mdc-a", "mdc-a's fsmpm gets a beat out: HB_SEQ 88414 after "
                       "88411, a gap of two beats it counted but could not send")
    beats.idle(110)
    cap.labels["gap_beat"] = beats.labels["mdc-a"][-1]
    beats.stop("mdc-a")
    beats.idle(1800)
    cap.labels["retry"] = len(cap.packets) + 1
    s.request(Op.GETATTR, [A(Tag.INODE, CLIP5)], xid=q.xid, retry=True,
              comment="3 s without an answer: the client sends the GETATTR again, same "
              "xid, `retry` flag set (an Xsan-level retransmission, not a TCP one)")
    beats.idle(1280)

    # -- 3. the election ---------------------------------------------------
    cap.labels["vote_round1"] = len(cap.packets) + 1
    voters = [("mdc-b", None), ("bay05", None),
              ("bay07", "session lease on mdc-a still valid for 1.7 s")]
    for i, (name, refuse) in enumerate(voters):
        coord.vote(h[name] if name.startswith("bay") else mdc_b, "MediaVol", 42, mdc_b, 1,
                   refuse,
                   comment="mdc-a silent for more than 3 heartbeat intervals: nss-1 calls "
                   "an election for MediaVol, EPOCH 42, candidate mdc-b (priority 1)"
                   if i == 0 else None,
                   reply="VOTE_REJECTED: edit-bay-07 still holds a lease from the old FSM; "
                   "the round fails" if refuse else None)
    cap.labels["vote_rejected"] = cap.messages[-1][0]
    beats.idle(1700)
    cap.labels["vote_round2"] = len(cap.packets) + 1
    for i, (name, _) in enumerate(voters):
        coord.vote(h[name] if name.startswith("bay") else mdc_b, "MediaVol", 43, mdc_b, 1,
                   comment="round 2, EPOCH 43: the lease has run out, everyone agrees"
                   if i == 0 else None)
    cap.advance(0.3)

    # -- 4. mdc-b takes over -----------------------------------------------
    cap.labels["activate"] = coord.activate(
        mdc_b, "MediaVol", 43,
        comment="ACTIVATE (NOTIFY) to mdc-b's fsmpm: start the FSM of MediaVol as ACTIVE")
    beats.epoch = 43
    beats.idle(640)  # journal replay
    register(pm["mdc-b"], "MediaVol", STANDBY_PORT, 1, 2,
             comment="mdc-b's FSM replayed the journal (0.6 s) and registers: MediaVol, "
             "ACTIVE, TCP port 60870")
    beats.idle(850)

    # -- 5. mdc-a comes back, too late ----------------------------------------
    beats.resume("mdc-a", skip=5)
    beats.comment_next("mdc-a", "mdc-a recovers (HB_SEQ jumped again)...",
                       "...and learns from the answer that the cluster is at EPOCH 43: "
                       "it lost MediaVol")
    beats.idle(5)
    cap.labels["mdc_a_back"] = beats.labels["mdc-a"][-1]
    register(pm["mdc-a"], "MediaVol", 60868, 0, 1,
             comment="mdc-a's FSM steps down and registers as STANDBY")
    cap.advance(1.4, jitter_us=300)
    s.reply(q, err(Status.NOT_ACTIVE, "FSM is standby since epoch 43"),
            comment="the stuck GETATTR finally gets its answer: NOT_ACTIVE, this FSM is "
            "only a standby now")
    cap.labels["not_active"] = cap.messages[-1][0]
    cap.advance(0.6, jitter_us=200)

    # -- 6. the client finds the new FSM and remounts ---------------------------
    cap.labels["requery"] = len(cap.packets) + 1
    pm["bay05"].fsm_query("MediaVol", mdc_b, STANDBY_PORT, state=2, priority=1,
                          comment="edit-bay-05 asks nss-1 again where MediaVol's FSM is",
                          reply="now on mdc-b (10.20.30.11), TCP port 60870, ACTIVE")
    cap.advance(0.3)
    s.conn.send_msgs("c", [message(Op.GOODBYE, s.xids(), [
        A(Tag.ERROR_TEXT, "FSM not active: moving to 10.20.30.11:60870")],
        notify=True, session=OLD_SESSION)],
        comment="GOODBYE (NOTIFY) to the old FSM, then the old connection closes")
    cap.advance(0.2)
    s.close()
    cap.advance(0.4)
    s2 = Session(cap, h["bay05"], mdc_b, 51244, fport=STANDBY_PORT, xid_start=0x0000D101)
    s2.connect("a new TCP connection, to mdc-b port 60870 (no Xsan port: the heuristic "
               "recognises the messages)")
    s2.hello("7e1d5c2a-4b3f-4e21-9a8d-05edb05a0005", lease=10)
    cap.labels["remount"] = len(cap.packets) + 1
    s2.mount("MediaVol", NEW_SESSION,
             comment="MOUNT MediaVol again, on the new FSM",
             reply="a new session id from the new FSM: 0x5b000007")
    cap.labels["remount_resp"] = cap.messages[-1][0]
    s2.call(Op.GETATTR, [A(Tag.INODE, CLIP5)], getattr_ok(cap, CLIP5), svc_ms=0.3,
            comment="the GETATTR that failed on mdc-a, again",
            reply="answered by mdc-b: the editor saw a 9 s hang, not an error")
    cap.labels["getattr_ok"] = cap.messages[-1][0]
    beats.idle(2600)
    return cap


CAPTURES = {NAME: build}
