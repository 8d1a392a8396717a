# SPDX-License-Identifier: GPL-2.0-or-later
"""Random but reproducible traffic of the v1 model, and what it wrote.

generate(seed, corrupt=0.0) returns a Traffic: a net.Capture and the record
of every message on the wire (Wire: a whole message or one piece, and the
frame where its last byte arrives) and of every whole message (Whole: its
attributes, the frame that completes it, the request or response it links
to, and the corruption it carries, if any).

What one seed writes: TCP sessions (IPv4 and IPv6, port 60868 and ports only
the heuristic finds) carrying every TCP operation, with the attributes the
spec lists and random values of every type, groups nested up to the depth
limit; UDP name service (heartbeats on a steady clock, queries, votes) on
60868 and on a heuristic port. Bodies are fragmented at random sizes; TCP
writes hold many messages and are cut into segments anywhere; UDP pieces are
interleaved and reordered; requests are retried (retry flag) and TCP
segments retransmitted.

corrupt=f damages about a fraction f of the messages, each in one of the ways
the model names (CORRUPTIONS); each Whole says which, the expert field that
must flag it, and which of its attributes must still be decoded.
"""
import ipaddress
import random
import struct
from dataclasses import dataclass, field

from .net import Capture, Host
from .wire import (HDR_LEN, MAX_DEPTH, PORT, TCP_OPS, UDP_OPS, Flag, Op, Status, Tag, attr,
                   fragment, group, message, raw_attr)

A, G = attr, group
HEUR_TCP = (50123, 51515)     # no dissector registered on these in tshark 4.0-4.6
HEUR_UDP = (49500, 47474)
MSS = 1448
# Clients' ports: above 60868, which the dissectors of both ports are tried
# by (lowest first), and where no tshark 4.0-4.6 dissector is registered.
CLIENT_PORTS = 61000

# What each operation carries (spec: Operations); a response starts with STATUS.
REQ = {
    Op.HELLO: "HOSTNAME CLIENT_ID CLIENT_VERSION CAPABILITIES",
    Op.MOUNT: "VOLUME MOUNT_FLAGS", Op.UNMOUNT: "", Op.KEEPALIVE: "",
    Op.GOODBYE: "ERROR_TEXT",
    Op.LOOKUP: "PARENT_INODE NAME", Op.GETATTR: "INODE",
    Op.SETATTR: "INODE ATTR_MASK MODE UID GID SIZE MTIME ATIME",
    Op.CREATE: "PARENT_INODE NAME FILE_TYPE MODE", Op.REMOVE: "PARENT_INODE NAME",
    Op.RENAME: "PARENT_INODE NAME NEW_PARENT_INODE NEW_NAME", Op.READDIR: "INODE COOKIE COUNT",
    Op.ALLOCATE: "INODE OFFSET LENGTH SG_HINT", Op.GET_EXTENTS: "INODE OFFSET LENGTH",
    Op.TRUNCATE: "INODE SIZE", Op.COMMIT_SIZE: "INODE SIZE MTIME",
    Op.TOKEN_ACQUIRE: "INODE TOKEN_CLASS TOKEN_MODE OFFSET LENGTH",
    Op.TOKEN_RELEASE: "TOKEN_ID", Op.TOKEN_REVOKE: "TOKEN_ID INODE REVOKE_REASON",
    Op.LOCK: "INODE LOCK_TYPE OFFSET LENGTH OWNER", Op.UNLOCK: "INODE OFFSET LENGTH OWNER",
    Op.HEARTBEAT: "HOSTNAME IPV4 CLUSTER HB_SEQ UPTIME", Op.FSM_QUERY: "VOLUME CLUSTER",
    Op.FSM_REGISTER: "VOLUME PORT PRIORITY FSM_STATE",
    Op.ELECTION_VOTE: "VOLUME EPOCH IPV6 PRIORITY", Op.ACTIVATE: "VOLUME EPOCH",
    Op.ADMIN: "ADMIN_COMMAND", Op.STATS: "VOLUME",
}
RESP = {
    Op.HELLO: "CAPABILITIES LEASE_SECS",
    Op.MOUNT: "VOLUME_UUID BLOCK_SIZE STRIPE_GROUPS ROOT_INODE",
    Op.LOOKUP: "INODE FILE_TYPE MODE SIZE MTIME",
    Op.GETATTR: "FILE_TYPE MODE UID GID SIZE NLINK MTIME ATIME CTIME",
    Op.CREATE: "INODE FILE_TYPE MODE SIZE MTIME", Op.READDIR: "DIRENT* COOKIE EOF",
    Op.ALLOCATE: "EXTENT*", Op.GET_EXTENTS: "EXTENT*", Op.TOKEN_ACQUIRE: "TOKEN_ID",
    Op.HEARTBEAT: "EPOCH", Op.FSM_QUERY: "IPV4 PORT FSM_STATE PRIORITY",
    Op.ADMIN: "ADMIN_OUTPUT", Op.STATS: "COUNTER*",
}
NOTIFY = {Op.GOODBYE, Op.TOKEN_REVOKE, Op.ACTIVATE}
MEMBERS = {Tag.DIRENT: "INODE NAME FILE_TYPE", Tag.EXTENT: "STRIPE_GROUP START_BLOCK BLOCK_COUNT OFFSET",
           Tag.COUNTER: "NAME VALUE"}
ENUMS = {Tag.FILE_TYPE: (1, 2, 3), Tag.TOKEN_CLASS: (1, 2, 3), Tag.REVOKE_REASON: (1, 2, 3),
         Tag.LOCK_TYPE: (1, 2), Tag.FSM_STATE: (1, 2, 3),
         Tag.TOKEN_MODE: (1,)}   # SHARED only: random EXCLUSIVE grants would break coherency
ERRORS = [s for s in Status if s not in (Status.OK, Status.LOCK_CONFLICT)]
TEXT = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/éüß日本語ñ"

# corruption kind -> expert field that must flag it
CORRUPTIONS = {
    "bad_version": "xsan.expert.bad_version",
    "unknown_opcode": "xsan.expert.unknown_opcode",
    "reserved_flags": "xsan.expert.reserved_flags",
    "flags_contradict": "xsan.expert.response_and_notify",     # a request: error_not_response
    "error_flag_mismatch": "xsan.expert.error_flag_mismatch",
    "no_status": "xsan.expert.no_status",
    "unknown_tag": "xsan.expert.unknown_tag",
    "attr_bad_length": "xsan.expert.attr_bad_length",
    "attr_past_end": "xsan.expert.attr_past_end",
    "group_too_deep": "xsan.expert.group_too_deep",
    "invalid_utf8": "xsan.expert.invalid_utf8",
    "hdr_len_short": "xsan.expert.hdr_len_short",
    "body_too_long": "xsan.expert.body_too_long",
    "truncated": "xsan.expert.truncated",
    "frag_repeated": "xsan.expert.frag_repeated",
    "frag_gap": "xsan.expert.frag_gap",
}
# flags_contradict is a response with the notify flag or a request with the
# error flag: one expert entry each
ERROR_NOT_RESPONSE = "xsan.expert.error_not_response"


def expert_for(whole):
    """The expert field that must flag this whole's corruption."""
    if whole.corruption == "flags_contradict" and not whole.msg.flags & Flag.RESPONSE:
        return ERROR_NOT_RESPONSE
    return CORRUPTIONS[whole.corruption]


JUNK_EXPERT = "xsan.expert.not_a_message"   # bytes that are not a message (Traffic.junk)
RESPONSE_ONLY = {"error_flag_mismatch", "no_status"}
HEADER_KINDS = {"hdr_len_short", "body_too_long", "truncated"}
# what a heuristic port cannot show: the heuristic rejects these datagrams
NOT_ON_HEURISTIC_UDP = HEADER_KINDS | {"bad_version"}


@dataclass(eq=False)
class Whole:
    """One message as its sender meant it."""
    msg: object                 # wire.Message, unfragmented
    tcp: bool
    frame: int = 0              # frame that completes it (0: never completes)
    flag_frame: int = 0         # frame whose expert info flags the corruption
    pieces: int = 1
    request: "Whole" = None     # for a response: the first copy of its request
    response: "Whole" = None    # for a request: its first response
    retry_of: "Whole" = None    # a copy sent again with the retry flag
    corruption: str = None
    kept: list = field(default_factory=list)    # attributes that must still decode
    decoded: bool = True        # its body is decoded (with its attributes)


@dataclass(eq=False)
class Wire:
    """One message on the wire: a whole message or one piece of one."""
    msg: object
    whole: Whole
    completes: bool = False     # the whole is decoded with this piece
    frame: int = 0
    seq: int = 0                # order on the wire: the decoder meets a frame's wires so


class Traffic:
    def __init__(self, seed, corrupt):
        self.seed, self.corrupt = seed, corrupt
        self.rng = random.Random(seed)
        self.cap = Capture(seed=seed)
        self.wires, self.wholes, self.junk = [], [], []   # junk: frames of bytes that are not messages
        self.sent = 0

    def by_frame(self):
        """{frame: [Wire, ...]} in the order the decoder meets them."""
        out = {}
        for w in sorted(self.wires, key=lambda w: w.seq):
            out.setdefault(w.frame, []).append(w)
        return out

    def stamp(self, wires):
        for w in wires:
            self.sent += 1
            w.seq = self.sent


# ---------------------------------------------------------------- values

class Values:
    def __init__(self, rng):
        self.rng = rng

    def text(self, lo=0, hi=24):
        return "".join(self.rng.choice(TEXT) for _ in range(self.rng.randint(lo, hi)))

    def value(self, tag):
        r = self.rng
        t = tag.name
        if tag in ENUMS:
            return r.choice(ENUMS[tag])
        kind = _TYPES[tag]
        if kind == "u8":
            return r.randint(0, 255)
        if kind == "u16":
            return r.randint(0, 0xFFFF)
        if kind == "u32":
            return r.choice((0, 1, r.randint(0, 0xFFFFFFFF), 0xFFFFFFFF))
        if kind == "u64":
            return r.choice((0, r.randint(0, 2**32), r.randint(0, 2**64 - 1)))
        if kind == "time":
            return r.randint(0, 2**62) if t != "MTIME" else 1732406400 * 10**9 + r.randint(0, 10**15)
        if kind == "bool":
            return r.random() < 0.5
        if kind == "string":
            return self.text(0 if t != "HOSTNAME" else 1, r.choice((8, 24, 300)))
        if kind == "bytes16":
            return "%08x-%04x-%04x-%04x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(16),
                                                 r.getrandbits(16), r.getrandbits(48))
        if kind == "ipv4":
            return str(ipaddress.IPv4Address(r.getrandbits(32)))
        if kind == "ipv6":
            return str(ipaddress.IPv6Address(r.getrandbits(128)))
        raise AssertionError(kind)

    def group(self, tag, depth):
        """A group with its members; now and then another group inside, to the limit."""
        members = [A(Tag[n], self.value(Tag[n])) for n in MEMBERS[tag].split()]
        if depth < MAX_DEPTH and self.rng.random() < 0.3:
            members.insert(self.rng.randint(0, len(members)), self.group(tag, depth + 1))
        return G(tag, members)

    def attrs(self, names, count_hint=3):
        out = []
        for n in names.split():
            if n.endswith("*"):
                tag = Tag[n[:-1]]
                out += [self.group(tag, 1) for _ in range(self.rng.randint(0, count_hint))]
            else:
                out.append(A(Tag[n], self.value(Tag[n])))
        return out


from .wire import TAG_TYPE as _TYPES  # noqa: E402


# ---------------------------------------------------------------- the generator

class _Gen:
    def __init__(self, seed, corrupt, n_exchanges):
        self.t = Traffic(seed, corrupt)
        self.rng = self.t.rng
        self.v = Values(self.rng)
        self.cap = self.t.cap
        self.n = n_exchanges
        self.kinds = sorted(CORRUPTIONS)
        self.hb_seq = {}
        self.next_hb = {}
        self.heuristic_udp = False

    # -- hosts
    def host(self, i, v6):
        mac = "02:00:00:%02x:%02x:%02x" % ((self.t.seed >> 8) & 0xFF, self.t.seed & 0xFF, i)
        ip = f"fd00:16::{i:x}" if v6 else f"10.16.{i // 250}.{i % 250 + 1}"
        return Host(f"h{i}", mac, ip, ip_id=0x1000 * (i % 16))

    # -- corruption
    def pick_corruption(self, tcp, response):
        if self.rng.random() >= self.t.corrupt:
            return None
        kinds = [k for k in self.kinds if (response or k not in RESPONSE_ONLY)
                 and not (k == "truncated" and tcp)
                 and not (self.heuristic_udp and k in NOT_ON_HEURISTIC_UDP)]
        if "truncated" in kinds:
            kinds += ["truncated"] * 3      # only UDP can carry it: give it a fair share
        return self.rng.choice(kinds)

    def build(self, op, xid, attrs, *, response=False, notify=False, retry=False, session=0,
              status=None, corruption=None):
        """The message (and what must still decode of it) for one corruption kind."""
        kw = dict(response=response, notify=notify, retry=retry, session=session)
        if response:
            attrs = [A(Tag.STATUS, status)] + attrs
        kept = list(attrs)
        c = corruption
        if c == "bad_version":
            return message(op, xid, attrs, version=2, **kw), [], False
        if c == "unknown_opcode":
            return message(0x0700 | self.rng.randint(0x10, 0xFF), xid, attrs, **kw), kept, True
        if c == "reserved_flags":
            return message(op, xid, attrs, extra_flags=0x0100 << self.rng.randint(0, 6), **kw), kept, True
        if c == "flags_contradict":
            if response:
                kw["notify"] = True
            else:
                kw["error"] = True
            return message(op, xid, attrs, **kw), kept, True
        if c == "error_flag_mismatch":
            return message(op, xid, attrs, error=status == Status.OK, **kw), kept, True
        if c == "no_status":
            attrs = attrs[1:] + [attrs[0]]
            if len(attrs) == 1:
                attrs.insert(0, A(Tag.EOF, True))
            return message(op, xid, attrs, error=status != Status.OK, **kw), list(attrs), True
        if c == "unknown_tag":
            at = self.rng.randint(0, len(attrs))
            attrs = attrs[:at] + [A(0x0900 + self.rng.randint(0, 0xFF), self.v.text(0, 8).encode())] + attrs[at:]
            return message(op, xid, attrs, **kw), kept, True
        if c == "attr_bad_length":
            bad = A(Tag.INODE, bytes(self.rng.choice((3, 5, 7))))
            return message(op, xid, attrs + [bad, A(Tag.UID, 7)], **kw), kept + [A(Tag.UID, 7)], True
        if c == "attr_past_end":
            past = raw_attr(struct.pack(">HH", Tag.NAME, 200) + b"cut")
            return message(op, xid, attrs + [past], **kw), kept, True
        if c == "group_too_deep":
            g = [A(Tag.STRIPE_GROUP, 1)]
            for _ in range(MAX_DEPTH + 1):
                g = [G(Tag.EXTENT, g)]
            # what decodes: the four outer EXTENTs; their values are not compared
            return message(op, xid, attrs + g + [A(Tag.GID, 9)], **kw), kept + [A(Tag.GID, 9)], True
        if c == "invalid_utf8":
            bad = A(Tag.CLUSTER, b"bad\xff\xfeutf8")
            return message(op, xid, attrs + [bad, A(Tag.GID, 8)], **kw), kept + [A(Tag.GID, 8)], True
        if c == "hdr_len_short":
            return message(op, xid, attrs, hdr_len=self.rng.choice((0, 8, 16, 23)), **kw), [], False
        if c == "body_too_long":
            return message(op, xid, attrs, body_len=0x100001 + self.rng.randint(0, 2**31), **kw), [], False
        if c == "truncated":
            m = message(op, xid, attrs, **kw)
            return message(op, xid, attrs, body_len=len(m.body) + self.rng.randint(1, 500), **kw), kept, True
        return message(op, xid, attrs, **kw), kept, True

    def whole(self, op, xid, attrs, tcp, **kw):
        c = self.pick_corruption(tcp, kw.get("response", False))
        m, kept, decoded = self.build(op, xid, attrs, corruption=c, **kw)
        w = Whole(m, tcp, corruption=c, kept=kept, decoded=decoded)
        self.t.wholes.append(w)
        return w

    def wires_of(self, w):
        """The whole as pieces (or alone), each a Wire; the corruption may
        repeat or drop a piece."""
        m, r = w.msg, self.rng
        frag_ok = w.corruption not in HEADER_KINDS | {"bad_version"}
        if frag_ok and len(m.body) > 8 and (r.random() < 0.25 or w.corruption in ("frag_repeated", "frag_gap")):
            size = r.randint(1, max(1, len(m.body) // r.randint(2, 6)))
            pieces = fragment(m.opcode, m.xid, m.attrs, size, response=bool(m.flags & Flag.RESPONSE),
                              notify=bool(m.flags & Flag.NOTIFY), retry=bool(m.flags & Flag.RETRY),
                              error=bool(m.flags & Flag.ERROR), session=m.session,
                              extra_flags=m.flags & Flag.RESERVED)
            if len(pieces) > 64:
                pieces = [m]
        else:
            pieces = [m]
        if w.corruption in ("frag_repeated", "frag_gap") and len(pieces) < 3:
            w.corruption, w.kept = None, list(m.attrs)   # too small to damage that way
        w.pieces = len(pieces)
        wires = [Wire(p, w) for p in pieces]
        if w.corruption == "frag_repeated":
            i = r.randrange(len(pieces) - 1)
            wires.insert(i + 1, Wire(pieces[i], w))
        if w.corruption == "frag_gap":
            del wires[r.randrange(len(pieces) - 1)]   # never the last: the rest is joined in vain
            w.decoded, w.kept = False, []
        return wires

    # -- transports
    def tcp_write(self, conn, side, wires, first=False):
        """One write of several wires, cut anywhere into segments of at most the MSS."""
        data = b"".join(w.msg for w in wires)
        r = self.rng
        cuts, pos = [], 0
        while len(data) - pos > 0:
            step = r.choice((r.randint(1, 40), r.randint(1, MSS), MSS))
            if first and pos == 0:
                step = max(step, HDR_LEN)
            pos += min(step, MSS)
            cuts.append(min(pos, len(data)))
        retransmit = r.randrange(len(cuts)) if r.random() < 0.05 else None
        frames = conn.send(side, data, cuts=cuts, retransmit=retransmit, rto_ms=2)
        self.t.stamp(wires)
        end = 0
        for w in wires:
            end += len(w.msg)
            w.frame = frames[next(i for i, c in enumerate(cuts) if c >= end)]
        self.cap.advance(0.3, jitter_us=300)

    def tcp_send(self, conn, side, wires, first=False):
        """Wires in writes; a message whose framing is broken goes alone in
        its segment, so the next segment starts clean (the model's rule)."""
        run = []
        for w in wires + [None]:
            if w is not None and w.whole.corruption not in HEADER_KINDS:
                run.append(w)
                continue
            if run:
                self.tcp_write(conn, side, run, first)
                first, run = False, []
            if w is not None:
                w.frame = conn.send(side, bytes(w.msg), cuts=[])[-1]
                self.t.stamp([w])
                self.cap.advance(0.3)

    def tcp_junk(self, conn, side):
        """Bytes without the magic, alone in a segment (no 'X': never a magic prefix)."""
        data = bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(1, 60))).replace(b"X", b"x")
        self.t.junk.append(conn.send(side, data, cuts=[])[-1])
        self.cap.advance(0.3)

    def udp_send(self, src, dst, sport, dport, wires):
        """Datagrams of one or more wires; pieces reordered now and then."""
        r = self.rng
        order = list(wires)
        damaged = any(w.whole.corruption in ("frag_repeated", "frag_gap") for w in order)
        if len(order) > 1 and not damaged and r.random() < 0.5:
            r.shuffle(order)
        i = 0
        while i < len(order):
            batch = [order[i]]
            if order[i].whole.corruption not in HEADER_KINDS:
                while i + len(batch) < len(order) and r.random() < 0.3 and \
                        order[i + len(batch)].whole.corruption not in HEADER_KINDS:
                    batch.append(order[i + len(batch)])
            n = self.cap.udp(src, dst, sport, dport, b"".join(bytes(b.msg) for b in batch))
            self.t.stamp(batch)
            for b in batch:
                b.frame = n
            i += len(batch)
            self.cap.advance(0.05, jitter_us=50)

    def place(self, wires):
        """Record wires; which one completes its whole, which one carries the flag."""
        self.t.wires += wires
        seen = {}
        for w in wires:
            seen.setdefault(id(w.whole), []).append(w)
        for ws in seen.values():
            whole = ws[0].whole
            order = sorted(ws, key=lambda w: w.seq)
            whole.flag_frame = order[-1].frame
            if whole.corruption == "frag_repeated":
                idx = [w.msg.frag_index for w in order]
                whole.flag_frame = next(w.frame for k, w in enumerate(order) if idx[k] in idx[:k])
            if not whole.decoded and whole.corruption != "truncated":
                continue
            firsts = {}
            for w in order:
                firsts.setdefault(w.msg.frag_index, w)
            last = max(firsts.values(), key=lambda w: w.seq)
            last.completes = True
            whole.frame = last.frame

    @staticmethod
    def merge(rng, lists):
        """Interleave lists at random, each keeping its own order."""
        lists = [list(x) for x in lists if x]
        out = []
        while lists:
            i = rng.randrange(len(lists))
            out.append(lists[i].pop(0))
            if not lists[i]:
                del lists[i]
        return out

    # -- sessions
    def tcp_session(self, client, server, cport, sport, heuristic):
        conn = self.cap.tcp_conn(client, server, cport, sport, mss=MSS)
        conn.open()
        r = self.rng
        xid = r.getrandbits(32)
        session = 0
        first = heuristic
        ops = [r.choice(sorted(TCP_OPS)) for _ in range(r.randint(3, self.n))]
        batches = [[Op.HELLO], [Op.MOUNT]]
        while ops:
            k = r.randint(1, 8)
            batches.append(ops[:k])
            ops = ops[k:]
        revoked = []    # token ids revoked: the client releases them in its next write
        while batches or revoked:
            batch = batches.pop(0) if batches else []
            batch = [(Op.TOKEN_RELEASE, t) for t in revoked] + batch
            revoked = []
            self.heartbeats()
            if self.t.corrupt and not first and r.random() < self.t.corrupt / 2:
                self.tcp_junk(conn, r.choice("cs"))
            reqs, retries, resps, notes = [], [], [], {"c": [], "s": []}
            ops_of_xid = set()
            for op in batch:
                token = None
                if isinstance(op, tuple):
                    op, token = op
                if not (ops_of_xid and op not in ops_of_xid and r.random() < 0.15):
                    xid = (xid + 1) & 0xFFFFFFFF   # else: the same xid, another opcode
                    ops_of_xid = set()
                ops_of_xid.add(op)
                saved = self.t.corrupt
                if op == Op.HELLO:
                    self.t.corrupt = 0.0        # the heuristic needs a sound first message
                if op in NOTIFY:
                    side = "s" if op == Op.TOKEN_REVOKE else r.choice("cs")
                    attrs = self.v.attrs(REQ[op])
                    notes[side].append(self.whole(op, xid, attrs, True, notify=True, session=session))
                    if op == Op.TOKEN_REVOKE:
                        revoked.append(attrs[0].value)   # a revoked token must be released
                    self.t.corrupt = saved
                    continue
                attrs = self.v.attrs(REQ[op]) if token is None else [A(Tag.TOKEN_ID, token)]
                req = self.whole(op, xid, attrs, True, session=session)
                reqs.append(req)
                if r.random() < 0.08:
                    retry = self.whole(op, xid, attrs, True, retry=True, session=session)
                    retry.retry_of = req
                    retries.append(retry)
                ok = r.random() < 0.85 or op in (Op.HELLO, Op.MOUNT) or token is not None
                status = Status.OK if ok else r.choice(ERRORS)
                rattrs = self.v.attrs(RESP.get(op, "")) if ok else [A(Tag.ERROR_TEXT, self.v.text(1, 40))]
                if op == Op.HELLO:
                    rattrs[1] = A(Tag.LEASE_SECS, r.randint(30, 600))   # releases come in time
                if op == Op.MOUNT and ok:
                    session = r.getrandbits(32) | 1
                resp = self.whole(op, xid, rattrs, True, response=True, status=status, session=session)
                resp.request, req.response = req, resp
                resps.append(resp)
                self.t.corrupt = saved
            # requests (pieces interleaved), then their retries, then answers
            wires = self.merge(r, [self.wires_of(w) for w in reqs + notes["c"]])
            wires += [x for w in retries for x in self.wires_of(w)]
            self.tcp_send(conn, "c", wires, first)
            first = False
            self.place(wires)
            wires = self.merge(r, [self.wires_of(w) for w in resps + notes["s"]])
            self.tcp_send(conn, "s", wires)
            self.place(wires)
        self.cap.advance(1)
        conn.close()

    def heartbeats(self):
        for key, (fsmpm, coord, sport, dport) in self.hb_hosts.items():
            if self.cap.now < self.next_hb[key]:
                continue
            self.next_hb[key] = self.cap.now + 40000
            self.hb_seq[key] += 1
            attrs = self.v.attrs(REQ[Op.HEARTBEAT])
            attrs[0] = A(Tag.HOSTNAME, key)
            attrs[3] = A(Tag.HB_SEQ, self.hb_seq[key])
            self.udp_exchange(fsmpm, coord, sport, dport, Op.HEARTBEAT, attrs, corrupt=False)

    def udp_exchange(self, client, server, sport, dport, op, attrs, corrupt=True):
        r = self.rng
        xid = r.getrandbits(32)
        saved = self.t.corrupt
        self.heuristic_udp = dport != PORT
        if not corrupt:
            self.t.corrupt = 0.0
        if op in NOTIFY:
            w = self.whole(op, xid, attrs, False, notify=True)
            self.t.corrupt = saved
            wires = self.wires_of(w)
            self.udp_send(server, client, dport, sport, wires)
            self.place(wires)
            return
        req = self.whole(op, xid, attrs, False)
        copies = [req]
        if r.random() < 0.08 and op != Op.HEARTBEAT:
            retry = self.whole(op, xid, attrs, False, retry=True)
            retry.retry_of = req
            copies.append(retry)
        status = Status.OK if (r.random() < 0.9 or op == Op.HEARTBEAT) else \
            (Status.VOTE_REJECTED if op == Op.ELECTION_VOTE else r.choice(ERRORS))
        rattrs = self.v.attrs(RESP.get(op, "")) if status == Status.OK else []
        resp = self.whole(op, xid, rattrs, False, response=True, status=status)
        self.t.corrupt = saved
        resp.request, req.response = req, resp
        for c in copies:
            wires = self.wires_of(c)
            self.udp_send(client, server, sport, dport, wires)
            self.place(wires)
        wires = self.wires_of(resp)
        self.udp_send(server, client, dport, sport, wires)
        self.place(wires)
        if self.t.corrupt and dport == PORT and r.random() < self.t.corrupt / 2:
            data = bytes(r.getrandbits(8) for _ in range(r.randint(1, 60))).replace(b"X", b"x")
            self.t.junk.append(self.cap.udp(client, server, sport, dport, data))

    def run(self):
        r = self.rng
        hosts = [self.host(i, v6=i % 3 == 2) for i in range(12)]
        v4 = [h for h in hosts if not h.v6]
        v6 = [h for h in hosts if h.v6]
        coord4, coord6 = v4[0], v6[0]
        self.hb_hosts = {}
        for i, h in enumerate(v4[1:4] + v6[1:3]):
            coord = coord6 if h.v6 else coord4
            dport = PORT if i % 2 == 0 else HEUR_UDP[i % len(HEUR_UDP)]
            name = f"fsmpm-{i}.local"
            self.hb_hosts[name] = (h, coord, CLIENT_PORTS + i, dport)
            self.hb_seq[name] = r.randint(0, 10**6)
            self.next_hb[name] = self.cap.now
        for s in range(r.randint(2, 4)):
            pool = r.choice((v4, v6))
            client, server = r.sample(pool[1:], 2)
            heuristic = r.random() < 0.4
            sport = r.choice(HEUR_TCP) if heuristic else PORT
            self.tcp_session(client, server, CLIENT_PORTS + 100 + s * 7 + r.randint(0, 6), sport, heuristic)
            for _ in range(r.randint(2, 8)):
                self.heartbeats()
                op = r.choice(sorted(UDP_OPS - {Op.HEARTBEAT}))
                pool = r.choice((v4, v6))
                client, server = r.sample(pool[1:], 2)
                dport = r.choice((PORT, PORT, HEUR_UDP[0]))
                attrs = self.v.attrs(REQ[op])
                if pool is v4 and op == Op.ELECTION_VOTE:
                    attrs[2] = A(Tag.IPV4, self.v.value(Tag.IPV4))
                self.udp_exchange(client, server, CLIENT_PORTS + 200 + r.randint(0, 999), dport, op, attrs)
                self.cap.advance(0.2)
        self.heartbeats()
        self.cap.finish()
        return self.t


def generate(seed, corrupt=0.0, n_exchanges=40):
    """The traffic of one seed: same seed, same bytes."""
    return _Gen(seed, corrupt, n_exchanges).run()
