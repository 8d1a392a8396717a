# SPDX-License-Identifier: GPL-2.0-or-later
"""Story 6: a hostile client.

Thursday, 22:10 UTC. Someone on the metadata VLAN (fuzz-laptop,
10.20.30.66) points a fuzzer at mdc-a's FSM port. Every malformation the
spec's "What a decoder flags" section lists arrives, one per packet, each
commented with its name, so a decoder's expert info can be checked against
the list: undecodable versions and headers, attributes running past their
body or group, wrong lengths, groups nested too deep, unknown tags and
opcodes, contradictory and reserved flags, STATUS and error flag that
disagree, invalid UTF-8, fragments over the limits, repeated or missing,
bodies over 1 MiB, and things that are not Xsan at all on Xsan ports.

A decoder must flag each of these, keep what it decoded before the
problem, and go on: the normal message after each broken header decodes.

The pieces are the ones of the malformed test vectors
(xsangen.vectors_malformed), replayed here by another host, later.
"""
from ..cast import Xids
from ..net import Capture, Host
from ..vectors import SESSION, ok
from ..vectors_framing import readdir_entries
from ..vectors_malformed import CASES, after_bad_header, body_cases, fragment_cases, send
from ..wire import Op, Tag, attr, fragment, message
from .house import note, site, utc

NAME = "story-6-hostile.pcapng"


def build():
    cap = Capture(seed=106, start_us=utc(2024, 11, 28, 22, 10, 7, 311))
    cap.labels = {}
    fuzz = Host("fuzz-laptop", "3c:22:fb:66:00:66", "10.20.30.66", 0x7a66)
    h = {"bay": fuzz, "mdc": site()["mdc-a"]}
    x = Xids(0x0F0F0000)

    c = cap.tcp_conn(fuzz, h["mdc"], 40001, 60868)
    c.open()
    note(cap, len(cap.packets) - 2, "fuzz-laptop opens a connection to the FSM port and "
         "sends one malformed message per packet")
    for key, side, msg in body_cases(x):
        who = "the fuzzer" if side == "c" else "a forged answer"
        send(cap, c, side, [msg], key, f"hostile ({who}): {CASES[key]}")
    fragment_cases(cap, c, x)
    c.close()
    cap.advance(10)

    after_bad_header(cap, h, 40102, "hdr_short",
                     message(Op.GETATTR, x(), [attr(Tag.INODE, 1042)], hdr_len=16))
    after_bad_header(cap, h, 40203, "body_huge",
                     message(Op.GETATTR, x(), [attr(Tag.INODE, 1042)], body_len=0x7FFFFFFF))

    # joined fragments over 1 MiB: a 1 MiB piece and a small one, on jumbo frames
    c = cap.tcp_conn(fuzz, h["mdc"], 40304, 60868, mss=8960)
    c.open()
    p = fragment(Op.READDIR, x(), ok(*readdir_entries(29200)), 1048576,
                 response=True, session=SESSION)
    send(cap, c, "s", [p[0]], comment="hostile: the first piece alone is 1 MiB")
    send(cap, c, "s", [p[1]], "frag_big", "hostile: " + CASES["frag_big"])
    c.close()
    cap.advance(10)

    c = cap.tcp_conn(fuzz, h["mdc"], 40405, 60868)
    c.open()
    cap.labels["not_xsan_tcp"] = c.send(
        "c", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(range(32)),
        comment="hostile: " + CASES["not_xsan_tcp"] + " (a TLS ClientHello)")[0]
    cap.advance(5)
    c.close()
    cap.advance(10)
    cap.labels["not_xsan_udp"] = cap.udp(
        fuzz, h["mdc"], 40506, 60868, b"\x00\x01\x00\x00\x00\x01" + b"\x00" * 30,
        comment="hostile: " + CASES["not_xsan_udp"] + " (a stray DNS-like datagram)")
    missing = set(CASES) - set(cap.labels)
    assert not missing, missing
    return cap


CAPTURES = {NAME: build}
