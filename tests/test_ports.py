# SPDX-License-Identifier: GPL-2.0-or-later
"""captures/ports-60868-ephemeral.pcapng (docs/teaching.md): 60868 as an
ordinary client port. HTTP and DNS keep their own dissectors (the server
port wins). The unknown service on TCP 8402 is labelled Xsan by the port
table but not decoded, with the note saying so: on the connection whose SYN
is in the capture only by Wireshark 4.0 (4.4 and 4.6 then try the server
port alone), on the one without a SYN by every version. Decode As takes it
back."""


def labelled(version):
    """Frames the port table gives to Xsan, by Wireshark version."""
    no_syn = [["19"], ["20"]]
    return ([["14"], ["15"]] + no_syn) if version == "4.0" else no_syn

CAP = "ports-60868-ephemeral.pcapng"


def test_well_known_server_ports_win(tshark):
    assert tshark.count(CAP, "http") == 2
    assert tshark.count(CAP, "dns") == 2
    assert tshark.count(CAP, "xsan && (http || dns)") == 0


def test_unknown_service_labelled_not_decoded(tshark):
    rows = tshark.fields(CAP, ["frame.number", "tcp.dstport", "tcp.srcport", "_ws.col.Info",
                               "xsan.opcode", "_ws.expert.message"], "xsan")
    assert [r["frame.number"] for r in rows] == labelled(tshark.version)
    for r in rows:
        assert r["xsan.opcode"] == []                      # nothing decoded
        assert "not a v1 message" in r["_ws.col.Info"][0]
        assert "Payload on an Xsan port that is not a v1 message; shown undecoded" in \
            r["_ws.expert.message"]
    assert tshark.count(CAP, "xsan.opcode || xsan.magic") == 0


def test_decode_as_takes_it_back(tshark):
    assert tshark.count(CAP, "xsan", extra=("-d", "tcp.port==8402,data")) == 0
    assert tshark.count(CAP, "data", extra=("-d", "tcp.port==8402,data")) == 4
