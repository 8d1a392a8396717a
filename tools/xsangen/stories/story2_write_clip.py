# SPDX-License-Identifier: GPL-2.0-or-later
"""Story 2: an editor writes a clip.

Monday, 10:41 UTC. On edit-bay-05 the editor exports a new shot,
clip014.mov, into /Projects/Nightfall/Reel2. The capture was started on the
bay just before it mounted MediaVol, so the analysis knows the volume and
its root.

In Xsan the file's bytes never cross this network: the bay writes them
straight to the Fibre Channel LUNs. What the metadata network carries is
the bookkeeping around that:

1. LOOKUP clip014.mov: NOENT, the name is free; CREATE makes the inode;
2. TOKEN_ACQUIRE: an EXCLUSIVE DATA token on the whole file, so no other
   client caches stale data while this one writes;
3. ALLOCATE: the FSM hands out extents (stripe group, start block, block
   count, file offset) spread over several stripe groups; the bay writes
   them over FC (the quiet seconds in the capture), then asks for more;
4. COMMIT_SIZE: the file's real size and mtime once the data is on disk.
   This request's TCP segment is lost once: TCP sends it again after its
   retransmission timeout (200 ms), and the FSM answers the copy;
5. SETATTR: final permissions and modification time;
6. TOKEN_RELEASE: other clients may cache the file again.
"""
from ..net import Capture
from ..wire import Op, Status, Tag
from .house import A, Session, err, extent, ok, site, utc, wall_ns

NAME = "story-2-write-clip.pcapng"
SESSION_ID = 0x3A41C2A9
TOKEN = 0x7F0000000A17
CLIP = 5014
BLOCK = 4096
MiB = 2**20

# Where the FSM puts clip014.mov: (stripe group, start block, block count, file offset)
FIRST_EXTENTS = [(1, 0x02A3F000, 65536, 0), (2, 0x01C44800, 65536, 256 * MiB),
                 (3, 0x0318C000, 65536, 512 * MiB), (1, 0x02A4F000, 65536, 768 * MiB)]
MORE_EXTENTS = [(2, 0x01C54800, 65536, 1024 * MiB), (3, 0x0319C000, 32768, 1280 * MiB)]
FINAL_SIZE = 1408 * MiB + 12345


def build():
    cap = Capture(seed=102, start_us=utc(2024, 11, 25, 10, 41, 3, 557102))
    cap.labels = {}
    h = site()
    s = Session(cap, h["bay05"], h["mdc-a"], 50112, xid_start=0x0000B001)
    s.connect("tcpdump on edit-bay-05 started just before the volume was mounted")
    s.hello("7e1d5c2a-4b3f-4e21-9a8d-05edb05a0005", lease=10)
    s.mount("MediaVol", SESSION_ID,
            comment="MOUNT MediaVol: from its response the analysis knows the session, "
            "the volume and the root inode")
    cap.advance(850, jitter_us=20000)

    reel2 = s.walk("/Projects/Nightfall/Reel2", wall_ns(cap) - 3 * 3600 * 10**9,
                   comment="the export dialog resolves its destination folder")
    cap.advance(6, jitter_us=2000)

    # -- 1. a new file ----------------------------------------------------
    s.call(Op.LOOKUP, [A(Tag.PARENT_INODE, reel2), A(Tag.NAME, "clip014.mov")],
           err(Status.NOENT, "no such file or directory"), svc_ms=0.3,
           comment="is the name free? LOOKUP clip014.mov in Reel2",
           reply="NOENT: expected, the export will create it (an error status is "
           "a normal answer here)")
    cap.advance(1.5)
    created = wall_ns(cap)
    cap.labels["create"] = len(cap.packets) + 1
    s.call(Op.CREATE, [A(Tag.PARENT_INODE, reel2), A(Tag.NAME, "clip014.mov"),
                       A(Tag.FILE_TYPE, 1), A(Tag.MODE, 0o100664)],
           ok(A(Tag.INODE, CLIP), A(Tag.FILE_TYPE, 1), A(Tag.MODE, 0o100664),
              A(Tag.SIZE, 0), A(Tag.MTIME, created)),
           svc_ms=1.9, comment="CREATE clip014.mov (regular file, rw-rw-r--) in Reel2",
           reply="created: inode 5014, empty; the FSM journaled it before answering "
           "(hence ~2 ms)")

    # -- 2. the data token ------------------------------------------------
    cap.labels["acquire"] = len(cap.packets) + 1
    s.call(Op.TOKEN_ACQUIRE, [A(Tag.INODE, CLIP), A(Tag.TOKEN_CLASS, 2),
                              A(Tag.TOKEN_MODE, 2), A(Tag.OFFSET, 0),
                              A(Tag.LENGTH, 2**63 - 1)],
           ok(A(Tag.TOKEN_ID, TOKEN)), svc_ms=0.35,
           comment="TOKEN_ACQUIRE: DATA class, EXCLUSIVE mode, the whole file "
           "[0, 2^63-1): only this bay may cache or write its data",
           reply="granted: token 0x7f0000000a17 names it from now on")

    # -- 3. space, in two rounds ------------------------------------------
    cap.labels["allocate"] = len(cap.packets) + 1
    s.call(Op.ALLOCATE, [A(Tag.INODE, CLIP), A(Tag.OFFSET, 0), A(Tag.LENGTH, 1024 * MiB),
                         A(Tag.SG_HINT, 1)],
           ok(*[extent(*e) for e in FIRST_EXTENTS]), svc_ms=2.6,
           comment="ALLOCATE the first GiB, preferably on stripe group 1 (VideoFiles1)",
           reply="four extents of 256 MiB (65536 blocks of 4 KiB) over stripe groups "
           "1, 2, 3 and 1 again: the FSM spreads the file for bandwidth")
    cap.advance(2310, jitter_us=40000)  # 1 GiB over 8 Gb FC: ~2.3 s of silence here
    s.call(Op.ALLOCATE, [A(Tag.INODE, CLIP), A(Tag.OFFSET, 1024 * MiB),
                         A(Tag.LENGTH, 384 * MiB), A(Tag.SG_HINT, 2)],
           ok(*[extent(*e) for e in MORE_EXTENTS]), svc_ms=1.7,
           comment="the first GiB went to the LUNs over Fibre Channel (nothing on "
           "this network for 2.3 s); ALLOCATE 384 MiB more",
           reply="two more extents, on stripe groups 2 and 3")
    cap.advance(880, jitter_us=30000)

    # -- 4. the size, with one lost segment --------------------------------
    done = wall_ns(cap)
    q = s.request(Op.COMMIT_SIZE, [A(Tag.INODE, CLIP), A(Tag.SIZE, FINAL_SIZE),
                                   A(Tag.MTIME, done)],
                  comment="COMMIT_SIZE: the data is on disk, the file is 1408 MiB + "
                  "12345 bytes. This segment is lost on its way to the FSM",
                  lost=(204, "TCP retransmission: no ACK came within the "
                        "retransmission timeout, the same bytes are sent again "
                        "(same sequence number; the Xsan message is a copy, same xid)"))
    cap.labels["commit_first"], cap.labels["commit_copy"] = cap.messages[-1][0], q.copy_frame
    cap.advance(s.rtt_ms + 0.9, jitter_us=50)
    s.reply(q, ok(), comment="the FSM got the copy: OK (the response acknowledges it)")
    cap.advance(0.4)

    # -- 5. final attributes ------------------------------------------------
    s.call(Op.SETATTR, [A(Tag.INODE, CLIP), A(Tag.ATTR_MASK, 0x11),
                        A(Tag.MODE, 0o100644), A(Tag.MTIME, done)],
           ok(), svc_ms=0.8,
           comment="SETATTR: ATTR_MASK 0x11 says MODE and MTIME follow "
           "(rw-r--r--, and the export's own time stamp)")

    # -- 6. give the token back --------------------------------------------
    cap.labels["release"] = len(cap.packets) + 1
    s.call(Op.TOKEN_RELEASE, [A(Tag.TOKEN_ID, TOKEN)], ok(), svc_ms=0.3,
           comment="TOKEN_RELEASE: other bays may now read and cache clip014.mov")
    cap.advance(60)
    return cap


CAPTURES = {NAME: build}
