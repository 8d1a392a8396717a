# SPDX-License-Identifier: GPL-2.0-or-later
"""Story 3: two editors collide.

Monday, 14:20 UTC. The capture comes from a mirror of mdc-a's switch port,
so it holds both bays' sessions with the FSM of MediaVol. Both bays mount
the volume after lunch and open the same shot, clip014.mov.

1. edit-bay-05 (the editor) takes an EXCLUSIVE DATA token on the clip and
   a WRITE byte-range lock on its first 64 KiB (the movie header it is
   rewriting);
2. edit-bay-07 (the assistant) wants to write the same header: its LOCK
   overlaps the editor's and is refused at once with LOCK_CONFLICT;
3. edit-bay-07 then asks for its own EXCLUSIVE DATA token. The FSM does not
   refuse: it parks the request and sends TOKEN_REVOKE (a NOTIFY, no
   response expected) to edit-bay-05, which flushes its cache and answers
   with TOKEN_RELEASE. Only then does edit-bay-07 get its token: its
   TOKEN_ACQUIRE took milliseconds instead of the usual few hundred
   microseconds, and at no moment did two clients hold exclusive tokens on
   the same range.
"""
from ..net import Capture
from ..wire import Op, Status, Tag
from .house import A, Session, err, ok, site, utc, wall_ns

NAME = "story-3-collide.pcapng"
CLIP = 5014
WHOLE = 2**63 - 1
TOKEN_EDITOR = 0x7F0000000B01
TOKEN_ASSIST = 0x7F0000000B02
PID_EDITOR, PID_ASSIST = 4242, 3117


def open_clip(s, comment):
    """Walk to Reel2 and look the clip up; returns nothing, the story knows the inode."""
    reel2 = s.walk("/Projects/Nightfall/Reel2", wall_ns(s.cap) - 4 * 3600 * 10**9,
                   comment=comment)
    s.lookup(reel2, "clip014.mov", CLIP, ftype=1, mode=0o100644, size=1408 * 2**20 + 12345,
             mtime=wall_ns(s.cap) - 3 * 3600 * 10**9)


def token(s, tid, comment=None, reply=None, svc_ms=0.3):
    return s.call(Op.TOKEN_ACQUIRE, [A(Tag.INODE, CLIP), A(Tag.TOKEN_CLASS, 2),
                                     A(Tag.TOKEN_MODE, 2), A(Tag.OFFSET, 0),
                                     A(Tag.LENGTH, WHOLE)],
                  ok(A(Tag.TOKEN_ID, tid)), svc_ms=svc_ms, comment=comment, reply=reply)


def build():
    cap = Capture(seed=103, start_us=utc(2024, 11, 25, 14, 20, 41, 90210))
    cap.labels = {}
    h = site()
    ed = Session(cap, h["bay05"], h["mdc-a"], 50733, xid_start=0x0000C001)
    asst = Session(cap, h["bay07"], h["mdc-a"], 61022, xid_start=0x00070001)

    ed.connect("edit-bay-05 (the editor) connects to the FSM of MediaVol")
    ed.hello("7e1d5c2a-4b3f-4e21-9a8d-05edb05a0005", lease=10)
    ed.mount("MediaVol", 0x3A41C3F0, reply="edit-bay-05's session: 0x3a41c3f0")
    cap.advance(1730, jitter_us=30000)
    asst.connect("edit-bay-07 (the assistant) connects too: a second TCP connection, "
                 "a second client as far as tokens are concerned")
    asst.hello("0c9a7f13-5e2d-4b8a-8f61-07edb07a0007", lease=10)
    asst.mount("MediaVol", 0x3A41C3F1, reply="edit-bay-07's session: 0x3a41c3f1")
    cap.advance(2400, jitter_us=30000)

    # -- 1. the editor opens the clip for writing ----------------------------
    open_clip(ed, "the editor opens clip014.mov")
    cap.labels["token_editor"] = len(cap.packets) + 1
    token(ed, TOKEN_EDITOR,
          comment="the editor takes an EXCLUSIVE DATA token on the whole clip",
          reply="granted to edit-bay-05: token 0x7f0000000b01")
    cap.labels["lock_editor"] = len(cap.packets) + 1
    ed.call(Op.LOCK, [A(Tag.INODE, CLIP), A(Tag.LOCK_TYPE, 2), A(Tag.OFFSET, 0),
                      A(Tag.LENGTH, 65536), A(Tag.OWNER, PID_EDITOR)], ok(), svc_ms=0.2,
            comment="and a WRITE lock on bytes [0, 65536) for process 4242 (the NLE "
            "rewrites the movie header)")
    cap.advance(3150, jitter_us=50000)

    # -- 2. the assistant bumps into the lock ------------------------------
    open_clip(asst, "the assistant opens the same clip")
    cap.advance(420, jitter_us=10000)
    asst.call(Op.LOCK, [A(Tag.INODE, CLIP), A(Tag.LOCK_TYPE, 2), A(Tag.OFFSET, 32768),
                        A(Tag.LENGTH, 32768), A(Tag.OWNER, PID_ASSIST)],
              err(Status.LOCK_CONFLICT, "range [0, 65536) write-locked by owner 4242 "
                  "on edit-bay-05"), svc_ms=0.2,
              comment="the assistant's process 3117 wants a WRITE lock on [32768, 65536): "
              "it overlaps the editor's lock",
              reply="LOCK_CONFLICT: byte-range locks are not waited for, the FSM says no "
              "at once and names the holder")
    cap.labels["lock_conflict"] = cap.messages[-1][0]
    cap.advance(640, jitter_us=10000)

    # -- 3. the assistant asks for the token: revoke, release, grant --------
    q = asst.request(Op.TOKEN_ACQUIRE, [A(Tag.INODE, CLIP), A(Tag.TOKEN_CLASS, 2),
                                        A(Tag.TOKEN_MODE, 2), A(Tag.OFFSET, 0),
                                        A(Tag.LENGTH, WHOLE)],
                     comment="the assistant asks for an EXCLUSIVE DATA token on the "
                     "whole clip, which the editor holds")
    cap.labels["acquire_assist"] = len(cap.packets)
    cap.advance(ed.rtt_ms / 2 + 0.15, jitter_us=30)
    cap.labels["revoke"] = len(cap.packets) + 1
    ed.notify(Op.TOKEN_REVOKE, [A(Tag.TOKEN_ID, TOKEN_EDITOR), A(Tag.INODE, CLIP),
                                A(Tag.REVOKE_REASON, 1)], xid=0x0000E4C1,
              comment="TOKEN_REVOKE (NOTIFY, the FSM's own counter as xid) to the "
              "editor: give token 0x7f0000000b01 back, reason CONFLICT")
    cap.advance(ed.rtt_ms / 2 + 4.6, jitter_us=400)  # flushing cached pages to the LUNs
    cap.labels["release_editor"] = len(cap.packets) + 1
    ed.call(Op.TOKEN_RELEASE, [A(Tag.TOKEN_ID, TOKEN_EDITOR)], ok(), svc_ms=0.12,
            think_ms=0.0,
            comment="the editor flushed its dirty pages (4.6 ms) and releases the token, "
            "well within its 10 s lease",
            reply="released")
    cap.advance(0.08)
    asst.reply(q, ok(A(Tag.TOKEN_ID, TOKEN_ASSIST)),
               comment="now the assistant is granted token 0x7f0000000b02: this "
               "TOKEN_ACQUIRE waited for the revoke round trip")
    cap.labels["grant_assist"] = cap.messages[-1][0]
    cap.advance(1900, jitter_us=40000)

    # the editor's NLE gives up its lock and re-reads the clip with a shared token
    ed.call(Op.UNLOCK, [A(Tag.INODE, CLIP), A(Tag.OFFSET, 0), A(Tag.LENGTH, 65536),
                        A(Tag.OWNER, PID_EDITOR)], ok(), svc_ms=0.15,
            comment="the editor's process unlocks its range")
    cap.advance(5200, jitter_us=60000)
    asst.call(Op.TOKEN_RELEASE, [A(Tag.TOKEN_ID, TOKEN_ASSIST)], ok(), svc_ms=0.2,
              comment="the assistant is done and releases its token")
    cap.advance(80)
    return cap


CAPTURES = {NAME: build}
