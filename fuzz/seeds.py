#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Seed corpora for the fuzzers, from the TCP and UDP payloads of captures.

usage: fuzz/seeds.py OUTDIR CAPTURE...
writes OUTDIR/tcp/ and OUTDIR/udp/ in the input layout of fuzz-xsan.c:
one options byte, then [flags][len:2][payload] records. Every flow (TCP
connection or UDP port pair) of every capture gives seeds of up to 64
frames / 48 KiB each, and its first 32 payloads one-frame seeds each.
Only payload-carrying frames count; stdlib only.
"""
import hashlib
import struct
import sys
from pathlib import Path

XSAN_PORT = 60868
MAX_FRAMES = 64
MAX_BYTES = 48 * 1024
MAX_SINGLES = 32  # one-frame seeds per flow


def pcapng_packets(data):
    """(linktype, frame bytes) of every EPB/SPB/pcap record."""
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        off, ltypes, endian = 0, [], "<"
        while off + 12 <= len(data):
            btype, blen = struct.unpack_from(endian + "II", data, off)
            if btype == 0x0A0D0D0A:
                endian = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                btype, blen = struct.unpack_from(endian + "II", data, off)
                ltypes = []
            if blen < 12 or off + blen > len(data):
                break
            body = data[off + 8:off + blen - 4]
            if btype == 1:
                ltypes.append(struct.unpack_from(endian + "H", body, 0)[0])
            elif btype == 6 and len(body) >= 20:
                iface, _, _, caplen, _ = struct.unpack_from(endian + "IIIII", body, 0)
                lt = ltypes[iface] if iface < len(ltypes) else 1
                yield lt, body[20:20 + caplen]
            off += blen
    elif data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        lt = struct.unpack_from(endian + "I", data, 20)[0]
        off = 24
        while off + 16 <= len(data):
            caplen = struct.unpack_from(endian + "I", data, off + 8)[0]
            yield lt, data[off + 16:off + 16 + caplen]
            off += 16 + caplen


def l4(linktype, frame):
    """(proto, src, sport, dst, dport, seq, payload) or None."""
    if linktype != 1 or len(frame) < 14:
        return None
    etype, off = struct.unpack_from(">H", frame, 12)[0], 14
    if etype == 0x8100 and len(frame) >= 18:
        etype, off = struct.unpack_from(">H", frame, 16)[0], 18
    if etype == 0x0800 and len(frame) >= off + 20:
        ihl = (frame[off] & 0xF) * 4
        tot = struct.unpack_from(">H", frame, off + 2)[0]
        proto, src, dst = frame[off + 9], frame[off + 12:off + 16], frame[off + 16:off + 20]
        seg = frame[off + ihl:off + tot]
    elif etype == 0x86DD and len(frame) >= off + 40:
        plen = struct.unpack_from(">H", frame, off + 4)[0]
        proto, src, dst = frame[off + 6], frame[off + 8:off + 24], frame[off + 24:off + 40]
        seg = frame[off + 40:off + 40 + plen]
    else:
        return None
    if proto == 6 and len(seg) >= 20:
        sport, dport, seq = struct.unpack_from(">HHI", seg, 0)
        doff = (seg[12] >> 4) * 4
        return "tcp", src, sport, dst, dport, seq, seg[doff:], seg[13]
    if proto == 17 and len(seg) >= 8:
        sport, dport = struct.unpack_from(">HH", seg, 0)
        return "udp", src, sport, dst, dport, 0, seg[8:], 0
    return None


def flows(path):
    """{(proto, flow key): {"server": (addr, port), "frames": [(dir, retrans, payload)]}}"""
    out = {}
    for lt, frame in pcapng_packets(Path(path).read_bytes()):
        p = l4(lt, frame)
        if p is None:
            continue
        proto, src, sport, dst, dport, seq, payload, tflags = p
        key = (proto,) + tuple(sorted([(src, sport), (dst, dport)]))
        f = out.get(key)
        if f is None:
            # the server: the SYN's destination, Xsan's port, or the first receiver
            server = (dst, dport)
            if sport == XSAN_PORT and dport != XSAN_PORT:
                server = (src, sport)
            if proto == "tcp" and tflags & 0x12 == 0x12:  # SYN-ACK first: sender is the server
                server = (src, sport)
            f = out[key] = {"server": server, "frames": [], "next": {}}
        if not payload:
            continue
        d = 1 if (src, sport) == f["server"] else 0
        retrans = proto == "tcp" and d in f["next"] and seq != f["next"][d]
        if proto == "tcp":
            f["next"][d] = max(f["next"].get(d, 0), seq + len(payload)) if not retrans else f["next"][d]
        f["frames"].append((d, retrans, payload))
    return out


def records(frames):
    return b"".join(bytes([d | (2 if r else 0)]) + struct.pack(">H", len(p)) + p
                    for d, r, p in frames)


def chunks(frames):
    cur, size = [], 0
    for fr in frames:
        if cur and (len(cur) >= MAX_FRAMES or size + len(fr[2]) > MAX_BYTES):
            yield cur
            cur, size = [], 0
        cur.append((fr[0], fr[1], fr[2][:MAX_BYTES]))
        size += len(cur[-1][2])
    if cur:
        yield cur


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    outdir = Path(sys.argv[1])
    n = {"tcp": 0, "udp": 0}
    seen = set()
    for proto in n:
        (outdir / proto).mkdir(parents=True, exist_ok=True)

    def write(proto, data):
        h = hashlib.sha1(data).hexdigest()
        if h not in seen:
            seen.add(h)
            (outdir / proto / h).write_bytes(data)
            n[proto] += 1

    for cap in sys.argv[2:]:
        for key, f in flows(cap).items():
            proto = key[0]
            heur = 0 if f["server"][1] == XSAN_PORT else 1
            for i, ch in enumerate(chunks(f["frames"])):
                write(proto, bytes([heur | (2 if i % 2 == 0 else 4)]) + records(ch))
            for d, r, p in f["frames"][:MAX_SINGLES]:
                write(proto, bytes([heur]) + records([(d, False, p[:MAX_BYTES])]))
    print(f"seeds: {n['tcp']} tcp, {n['udp']} udp in {outdir}")


if __name__ == "__main__":
    main()
