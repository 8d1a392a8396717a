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
from ..vectors_malformed import CASES, play_malformed
from .house import note, site, utc

NAME = "story-6-hostile.pcapng"


def build():
    cap = Capture(seed=106, start_us=utc(2024, 11, 28, 22, 10, 7, 311))
    cap.labels = {}
    fuzz = Host("fuzz-laptop", "3c:22:fb:66:00:66", "10.20.30.66", 0x7a66)

    def comment(key, side):
        if key == "frag_big":
            return "hostile: " + CASES[key]
        who = "the fuzzer" if side == "c" else "a forged answer"
        return f"hostile ({who}): {CASES[key]}"

    play_malformed(
        cap, {"bay": fuzz, "mdc": site()["mdc-a"]}, Xids(0x0F0F0000),
        (40001, 40102, 40203, 40304, 40405, 40506), comment,
        (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(range(32)),
         "hostile: " + CASES["not_xsan_tcp"] + " (a TLS ClientHello)"),
        (b"\x00\x01\x00\x00\x00\x01" + b"\x00" * 30,
         "hostile: " + CASES["not_xsan_udp"] + " (a stray DNS-like datagram)"),
        first_piece_comment="hostile: the first piece alone is 1 MiB",
        on_open=lambda cap: note(cap, len(cap.packets) - 2,
                                 "fuzz-laptop opens a connection to the FSM port and "
                                 "sends one malformed message per packet"))
    return cap


CAPTURES = {NAME: build}
