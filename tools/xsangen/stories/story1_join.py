# SPDX-License-Identifier: GPL-2.0-or-later
"""Story 1: a client joins.

Monday, 08:58 UTC. The editor of edit-bay-05 switches the Mac on, logs in
and opens the Nightfall project. The capture was taken on edit-bay-05
itself (tcpdump -i en0 port 60868), so we see everything the bay says and
hears on the Xsan metadata network:

1. its fsmpm heartbeats to the name-server coordinator nss-1 every second;
2. to mount MediaVol, it asks the coordinator where the volume's FSM runs
   (FSM_QUERY over UDP) and learns: mdc-a, TCP port 60868, ACTIVE;
3. it opens a TCP session to that FSM: HELLO (who am I, what can I do),
   MOUNT (which volume; the answer carries the session id every later
   header repeats);
4. the Finder walks to /Projects/Nightfall/Reel2 with LOOKUPs, asks its
   attributes (GETATTR) and lists it (READDIR). The directory holds about a
   hundred files, so the FSM sends the listing in pieces (`more` flag);
5. while the editor watches clips, KEEPALIVEs hold the session's lease;
6. at the end of the day (well, 12 seconds later) the volume is ejected:
   UNMOUNT, and the TCP connection closes.
"""
from ..net import Capture
from ..wire import Op, Tag
from .house import (CLIP_INODE0, A, Fsmpm, Heartbeats, Session, dirent,
                    ok, site, utc, wall_ns)

NAME = "story-1-join.pcapng"
SESSION_ID = 0x3A41C207
BAY_ID = "7e1d5c2a-4b3f-4e21-9a8d-05edb05a0005"


def reel2_listing():
    """What Reel2 holds: the cut's clips, the camera originals, a few files."""
    entries = [dirent(CLIP_INODE0 + i, f"clip{i + 1:03d}.mov", 1) for i in range(13)]
    entries += [dirent(5101 + i, f"A012C{i + 1:03d}_241118_R2KQ.mxf", 1) for i in range(80)]
    entries += [dirent(1030, "Proxies", 2), dirent(5201, "Reel2_v07.xml", 1),
                dirent(5202, "Reel2_grade.cube", 1), dirent(5203, "Reel2_temp_mix.wav", 1)]
    return entries


def build():
    cap = Capture(seed=101, start_us=utc(2024, 11, 25, 8, 58, 12, 204311))
    cap.labels = {}
    h = site()
    bay, mdc, nss = h["bay05"], h["mdc-a"], h["nss"]
    morning = wall_ns(cap) - 14 * 3600 * 10**9  # the project was last touched last night

    fsmpm = Fsmpm(cap, bay, nss, hb_seq=7, uptime=9, xid_start=0x00050001)
    beats = Heartbeats(cap, epoch=41)
    beats.add("bay05", fsmpm)
    beats.comment_next("bay05", "edit-bay-05's fsmpm has been up 9 s: it heartbeats to the "
                       "coordinator nss-1 once a second, HB_SEQ rising by one each time",
                       "nss-1 acknowledges; EPOCH 41 is the coordinator's current view "
                       "of the cluster")
    beats.catch_up()
    beats.idle(310)

    # -- where is MediaVol? --------------------------------------------------
    frame = len(cap.packets) + 1
    fsmpm.fsm_query("MediaVol", mdc, 60868,
                    comment="mounting MediaVol: the fsmpm asks the coordinator where the "
                    "volume's FSM (metadata server) runs",
                    reply="the FSM of MediaVol is ACTIVE on mdc-a (10.20.30.10), TCP "
                    "port 60868, failover priority 0")
    cap.labels["fsm_query"] = frame
    beats.idle(0.4)

    # -- the metadata session ---------------------------------------------
    s = Session(cap, bay, mdc, 49731, xid_start=0x0000A001)
    s.connect("the Xsan client opens its metadata session: a TCP connection to the FSM "
              "(SYN with MSS 1448; the round trip on this LAN is under 0.2 ms)")
    cap.labels["hello"] = len(cap.packets) + 1
    s.hello(BAY_ID, lease=10,
            comment="HELLO: host name, a client UUID, the software version and what it "
            "can do (DLC, TOKENS_V2, LARGE_DIRS); session is still 0",
            reply="the FSM agrees on the capabilities and sets the lease: a KEEPALIVE is "
            "expected at least every 10 s")
    beats.catch_up()
    cap.labels["mount"] = len(cap.packets) + 1
    s.mount("MediaVol", SESSION_ID,
            comment="MOUNT MediaVol as a DLC-capable client (mount flags 0x2)",
            reply="mounted: the header's session id 0x3a41c207 identifies this mount from "
            "now on; the body gives the volume UUID, 4 KiB blocks, 4 stripe groups and "
            "the root inode 2")
    beats.idle(180)

    # -- the Finder opens /Projects/Nightfall/Reel2 ------------------------
    beats.catch_up()
    reel2 = s.walk("/Projects/Nightfall/Reel2", morning,
                   comment="the Finder walks to /Projects/Nightfall/Reel2, one LOOKUP "
                   "(parent inode + name) per path component")
    beats.catch_up()
    s.call(Op.GETATTR, [A(Tag.INODE, reel2)],
           ok(A(Tag.FILE_TYPE, 2), A(Tag.MODE, 0o40775), A(Tag.UID, 501), A(Tag.GID, 20),
              A(Tag.SIZE, 4096), A(Tag.NLINK, 3), A(Tag.MTIME, morning),
              A(Tag.ATIME, morning + 3600 * 10**9), A(Tag.CTIME, morning)),
           svc_ms=0.2, comment="GETATTR of Reel2 (inode 1021): all its attributes")
    entries = reel2_listing()
    q = s.request(Op.READDIR, [A(Tag.INODE, reel2), A(Tag.COOKIE, 0), A(Tag.COUNT, 512)],
                  comment="READDIR Reel2 from the start (cookie 0), up to 512 entries")
    cap.labels["readdir_request"] = len(cap.packets)
    cap.advance(s.rtt_ms + 3.8, jitter_us=200)  # a big directory: the FSM takes a while
    pieces = s.reply(q, ok(*entries, A(Tag.COOKIE, len(entries)), A(Tag.EOF, True)),
                     comment=f"{len(entries)} entries are too many for one message: the "
                     "FSM sends the listing in 2 KiB pieces, frag_index 0 with `more` set "
                     "(each piece is itself cut into TCP segments at the MSS)",
                     pieces=2048)
    cap.labels["readdir_pieces"] = len(pieces)
    cap.labels["readdir_last"] = cap.messages[-1][0]  # frame where the last piece ends
    cap.labels["readdir_entries"] = len(entries)
    cap.advance(1.2)

    # the Finder shows icons: GETATTR of the first clips, pipelined
    beats.catch_up()
    for i in range(4):
        s.call(Op.GETATTR, [A(Tag.INODE, CLIP_INODE0 + i)],
               ok(A(Tag.FILE_TYPE, 1), A(Tag.MODE, 0o100664), A(Tag.UID, 501),
                  A(Tag.GID, 20), A(Tag.SIZE, 1348 * 2**20 + 7919 * i), A(Tag.NLINK, 1),
                  A(Tag.MTIME, morning - (4 - i) * 600 * 10**9), A(Tag.ATIME, morning),
                  A(Tag.CTIME, morning - (4 - i) * 600 * 10**9)),
               svc_ms=0.15, think_ms=0.05,
               comment="the Finder draws the clips: one GETATTR per visible file"
               if i == 0 else None)

    # -- the editor watches clips; the session's lease needs KEEPALIVEs ----
    cap.labels["keepalives"] = []
    for n in range(3):
        beats.idle(4000 if n else 3600)
        cap.labels["keepalives"].append(len(cap.packets) + 1)
        s.keepalive(comment="KEEPALIVE: nothing else to say, but the 10 s lease must be "
                    "renewed (the client sends one every 4 s)" if n == 0 else None)

    # -- eject -----------------------------------------------------------
    beats.idle(900)
    cap.labels["unmount"] = len(cap.packets) + 1
    s.call(Op.UNMOUNT, [], ok(), svc_ms=1.1,
           comment="the volume is ejected: UNMOUNT ends the session",
           reply="OK: session 0x3a41c207 is gone on the FSM")
    cap.advance(0.3)
    s.close("the client closes the TCP connection (FIN)")
    beats.idle(1500)
    return cap


CAPTURES = {NAME: build}
