# SPDX-License-Identifier: GPL-2.0-or-later
"""Real framing for generated captures: Ethernet II, IPv4, IPv6, UDP, TCP.

Capture holds the clock and the packets. Time only moves when a scenario
says so (advance) or by a few microseconds per frame on the wire; jitter
comes from random.Random(seed), so every run gives the same bytes.

TcpConn models one connection as seen at a tap: three-way handshake with
MSS, data cut at the MSS, optional coalescing of several messages into one
write, delayed ACKs (every second full segment or after 40 ms, piggybacked
on data when the receiver sends first), an optional retransmission, and a
FIN teardown.
"""
import ipaddress
import random
import struct

from . import pcapng

DELAYED_ACK_US = 40000
START_US = 1732406400 * 1000000  # 2024-11-24T00:00:00Z
TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Host:
    """A node: name (for scenarios only), MAC and one IPv4 or IPv6 address."""

    def __init__(self, name, mac, ip, ip_id=0x1000):
        self.name = name
        self.mac = bytes.fromhex(mac.replace(":", ""))
        self.ip = ipaddress.ip_address(ip)
        self.ip_id = ip_id  # next IPv4 identification, per host

    @property
    def v6(self):
        return self.ip.version == 6


def _pseudo(src, dst, proto, length):
    if src.ip.version == 6:
        return src.ip.packed + dst.ip.packed + struct.pack(">I3xB", length, proto)
    return src.ip.packed + dst.ip.packed + struct.pack(">xBH", proto, length)


def udp(src, dst, sport, dport, payload):
    hdr = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0)
    c = checksum(_pseudo(src, dst, 17, 8 + len(payload)) + hdr + payload) or 0xFFFF
    return hdr[:6] + struct.pack(">H", c) + payload


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", window=65535, options=b""):
    off = (20 + len(options)) // 4
    hdr = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      off << 4, flags, window, 0, 0) + options
    c = checksum(_pseudo(src, dst, 6, len(hdr) + len(payload)) + hdr + payload)
    return hdr[:16] + struct.pack(">H", c) + hdr[18:] + payload


def ip(src, dst, proto, l4, ttl=64):
    """IPv4 (DF set, checksum, per-host ID) or IPv6 packet."""
    if src.v6:
        return struct.pack(">IHBB", 6 << 28, len(l4), proto, ttl) + src.ip.packed + dst.ip.packed + l4
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), src.ip_id & 0xFFFF, 0x4000,
                      ttl, proto, 0, src.ip.packed, dst.ip.packed)
    src.ip_id += 1
    return hdr[:10] + struct.pack(">H", checksum(hdr)) + hdr[12:] + l4


def ether(src, dst, l3):
    etype = 0x86DD if src.v6 else 0x0800
    return dst.mac + src.mac + struct.pack(">H", etype) + l3


def frame(src, dst, proto, l4):
    return ether(src, dst, ip(src, dst, proto, l4))


class Capture:
    """Clock, jitter and the list of packets of one capture file."""

    def __init__(self, seed=1, start_us=START_US, wire_gap_us=12):
        self.now = start_us
        self.rng = random.Random(seed)
        self.packets = []
        self.conns = []
        self.messages = []  # (frame number where it ends, Message), in order
        self.wire_gap_us = wire_gap_us

    def advance(self, ms=0.0, us=0, jitter_us=0):
        """Move the clock; jitter_us adds 0..jitter_us from the seeded RNG."""
        self.now += int(ms * 1000) + us + (self.rng.randint(0, jitter_us) if jitter_us else 0)

    def emit(self, data, comment=None):
        """Append a frame at the current time; due delayed ACKs go first."""
        for c in self.conns:
            c.flush_acks(self.now)
        self.packets.append(pcapng.Packet(self.now, data, comment))
        self.now += self.wire_gap_us + self.rng.randint(0, 4)
        return len(self.packets)  # frame number, as Wireshark counts

    def udp(self, src, dst, sport, dport, payload, comment=None):
        return self.emit(frame(src, dst, 17, udp(src, dst, sport, dport, payload)), comment)

    def udp_msgs(self, src, dst, sport, dport, msgs, comment=None):
        """One datagram holding one or more messages."""
        n = self.udp(src, dst, sport, dport, b"".join(msgs), comment)
        self.messages += [(n, m) for m in msgs]
        return n

    def tcp_conn(self, client, server, cport, sport, **kw):
        c = TcpConn(self, client, server, cport, sport, **kw)
        self.conns.append(c)
        return c

    def finish(self):
        """Emit ACKs still pending, then return the packets."""
        for c in self.conns:
            c.flush_acks(None)
        return self.packets

    def write(self, path):
        pcapng.write(path, self.finish())


class _End:
    def __init__(self, host, port, isn):
        self.host, self.port = host, port
        self.seq = isn          # next sequence number to send
        self.rcv = 0            # next sequence number expected from the peer
        self.full = 0           # full segments received and not acknowledged
        self.deadline = None    # time a delayed ACK is due


class TcpConn:
    """One TCP connection. Sides are 'c' (client) and 's' (server)."""

    def __init__(self, cap, client, server, cport, sport, mss=1448, window=65535):
        self.cap, self.mss, self.window = cap, mss, window
        rng = cap.rng
        self.end = {"c": _End(client, cport, rng.getrandbits(32)),
                    "s": _End(server, sport, rng.getrandbits(32))}

    def _peer(self, side):
        return "s" if side == "c" else "c"

    def _segment(self, side, flags, payload=b"", seq=None, options=b"", comment=None):
        me, peer = self.end[side], self.end[self._peer(side)]
        if flags & TCP_ACK:
            me.full, me.deadline = 0, None  # this segment acknowledges the peer
        l4 = tcp(me.host, peer.host, me.port, peer.port, me.seq if seq is None else seq,
                 me.rcv, flags, payload, self.window, options)
        return self.cap.emit(frame(me.host, peer.host, 6, l4), comment)

    def flush_acks(self, now):
        """Pure ACKs whose 40 ms timer ran out before `now` (None: all)."""
        for side, e in self.end.items():
            if e.deadline is not None and (now is None or e.deadline <= now):
                saved, self.cap.now = self.cap.now, max(e.deadline, self.cap.packets[-1].ts_us + 1)
                e.deadline = None  # before emit: emit flushes again
                self._segment(side, TCP_ACK)
                self.cap.now = max(saved, self.cap.now)

    def open(self, rtt_ms=0.2):
        mss = struct.pack(">BBH", 2, 4, self.mss)
        c, s = self.end["c"], self.end["s"]
        self._segment("c", TCP_SYN, options=mss)
        c.seq += 1
        s.rcv = c.seq
        self.cap.advance(rtt_ms / 2)
        self._segment("s", TCP_SYN | TCP_ACK, options=mss)
        s.seq += 1
        c.rcv = s.seq
        self.cap.advance(rtt_ms / 2)
        self._segment("c", TCP_ACK)

    def _received(self, side, nbytes):
        """Receiver side `side` got nbytes: ACK now or arm the delayed ACK."""
        e = self.end[side]
        e.rcv += nbytes
        if nbytes >= self.mss:
            e.full += 1
        if e.full >= 2:
            self._segment(side, TCP_ACK)
        elif e.deadline is None:
            e.deadline = self.cap.now + DELAYED_ACK_US

    def send(self, side, data, comment=None, retransmit=None, rto_ms=200, lost=False,
             retransmit_comment=None, cuts=None):
        """Write data from side; cut at the MSS. comment goes on the first
        segment (or pass a list, one per segment). retransmit=i sends segment
        i again after rto_ms. lost=True: the first copy never reached the
        peer (seen at a tap on the sender's side), so the peer acknowledges
        nothing before the copy; only for the last segment. cuts: the byte
        offsets where segments end instead (each segment at most the MSS).
        Returns the frame numbers of the segments."""
        me, peer = self.end[side], self._peer(side)
        if cuts is not None:
            bounds = [0] + sorted(set(c for c in cuts if 0 < c < len(data))) + [len(data)]
            pieces = [data[a:b] for a, b in zip(bounds, bounds[1:])]
            assert all(len(p) <= self.mss for p in pieces), "a cut segment is over the MSS"
        else:
            pieces = [data[i:i + self.mss] for i in range(0, len(data), self.mss)] or [b""]
        comments = comment if isinstance(comment, list) else [comment]
        assert not lost or retransmit == len(pieces) - 1, "lost: last segment only"
        frames, seqs = [], []
        for i, p in enumerate(pieces):
            flags = TCP_ACK | (TCP_PSH if i == len(pieces) - 1 else 0)
            seqs.append(me.seq)
            frames.append(self._segment(side, flags, p,
                                        comment=comments[i] if i < len(comments) else None))
            me.seq += len(p)
            if not (lost and i == retransmit):
                self._received(peer, len(p))
        if retransmit is not None:
            self.cap.advance(rto_ms)
            frames.append(self._segment(side, TCP_ACK | TCP_PSH, pieces[retransmit],
                                        seq=seqs[retransmit], comment=retransmit_comment))
            if lost:
                self._received(peer, len(pieces[retransmit]))
        return frames

    def send_msgs(self, side, msgs, coalesce=False, comment=None):
        """Messages one write each, or all in one write (coalesce=True).
        Records (frame where each message ends, message) in cap.messages."""
        writes = [list(msgs)] if coalesce else [[m] for m in msgs]
        frames = []
        for w in writes:
            fr = self.send(side, b"".join(w), comment)
            end = 0
            for m in w:
                end += len(m)
                self.cap.messages.append((fr[(end - 1) // self.mss], m))
            frames += fr
        return frames

    def close(self, rtt_ms=0.2):
        c, s = self.end["c"], self.end["s"]
        self._segment("c", TCP_FIN | TCP_ACK)
        c.seq += 1
        s.rcv += 1
        self.cap.advance(rtt_ms / 2)
        self._segment("s", TCP_FIN | TCP_ACK)
        s.seq += 1
        c.rcv += 1
        self.cap.advance(rtt_ms / 2)
        self._segment("c", TCP_ACK)
