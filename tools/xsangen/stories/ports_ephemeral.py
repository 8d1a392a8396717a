# SPDX-License-Identifier: GPL-2.0-or-later
"""Port 60868 as an ordinary ephemeral port: not Xsan at all.

60868 lies in the dynamic range (49152-65535), where IANA assigns nothing
and operating systems pick client ports. Three ordinary exchanges of the
house happen to get 60868 as their client port:

1. edit-bay-05 fetches the render queue page from the intranet web server
   (10.20.30.80, TCP 80): HTTP, which Wireshark decodes by port 80.
2. edit-bay-07 asks the resolver (10.20.30.3, UDP 53) for mdc-b: DNS.
3. admin-mac's backup agent talks to the backup server (10.20.30.90) on TCP
   8402, a port no Wireshark dissector claims. Wireshark 4.0 then tries the
   client port too, and the only port table entry that matches is Xsan's
   60868: the bytes are labelled "Xsan metadata", shown undecoded, and
   flagged with an expert note, which is all a port can tell. Wireshark 4.4
   and 4.6 saw the SYN, know that 8402 is the server port, and try no other:
   plain TCP.
4. The same agent, to the second backup server (10.20.30.91), on a
   connection that was already open when the capture started (no SYN): no Wireshark version knows which side is the server,
   all try both ports, and all label it Xsan.
"""
from ..net import Capture, Host
from .house import site, utc

NAME = "ports-60868-ephemeral.pcapng"
EPHEMERAL = 60868


def build():
    cap = Capture(seed=160868, start_us=utc(2024, 11, 28, 9, 12, 0, 40211))
    h = site()
    web = Host("intranet", "00:1b:63:10:00:80", "10.20.30.80", 0x5080)
    dns = Host("resolver", "00:1b:63:10:00:03", "10.20.30.3", 0x5003)
    backup = Host("backup", "00:1b:63:10:00:90", "10.20.30.90", 0x5090)
    backup2 = Host("backup-2", "00:1b:63:10:00:91", "10.20.30.91", 0x5091)

    # 1. HTTP from an ephemeral port that happens to be 60868
    c = cap.tcp_conn(h["bay05"], web, EPHEMERAL, 80)
    c.open()
    n = len(cap.packets)
    cap.packets[n - 3].comment = ("edit-bay-05's browser connects to the intranet web "
                                  "server; the OS picked client port 60868, an ephemeral "
                                  "port that is also Xsan's")
    c.send("c", b"GET /renderqueue HTTP/1.1\r\nHost: intranet.postcluster.lan\r\n"
           b"User-Agent: Safari/17.0\r\nAccept: text/html\r\n\r\n",
           comment="HTTP: Wireshark tries the server port it saw in the SYN (80) first")
    cap.advance(3.2, jitter_us=200)
    body = b"<html><body><h1>Render queue</h1><p>Reel2_v07: 3 jobs</p></body></html>\n"
    c.send("s", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
           + str(len(body)).encode() + b"\r\n\r\n" + body)
    cap.advance(40)
    c.close()
    cap.advance(210, jitter_us=500)

    # 2. DNS from UDP 60868
    q = bytes.fromhex("4c1a01000001000000000000") + \
        b"\x05mdc-b\x0bpostcluster\x03lan\x00" + bytes.fromhex("00010001")
    cap.udp(h["bay07"], dns, EPHEMERAL, 53, q,
            comment="DNS query from UDP port 60868: UDP tries the lower port (53) first")
    cap.advance(0.4, jitter_us=80)
    a = bytes.fromhex("4c1a81800001000100000000") + q[12:] + \
        bytes.fromhex("c00c000100010000012c0004") + bytes([10, 20, 30, 11])
    cap.udp(dns, h["bay07"], 53, EPHEMERAL, a)
    cap.advance(520, jitter_us=900)

    # 3. a service no dissector knows: only the 60868 entry matches
    c = cap.tcp_conn(h["admin"], backup, EPHEMERAL, 8402)
    c.open()
    n = len(cap.packets)
    cap.packets[n - 3].comment = ("admin-mac's backup agent connects to the backup server, "
                                  "TCP 8402 (no dissector for it), from client port 60868")
    c.send("c", b"BKP1" + bytes.fromhex("00000001000000300000000000000000") +
           b"catalog-sync admin-mac /Users/editor since=2024-11-27T02:00Z",
           comment="only Xsan's port table entry matches: labelled Xsan metadata, not "
           "decoded (no XSAN magic), and an expert note says so")
    cap.advance(1.1, jitter_us=200)
    c.send("s", b"BKP1" + bytes.fromhex("80000001000000100000000000000000") + b"OK 0 changes")
    cap.advance(30)
    c.close()
    cap.advance(1800, jitter_us=900)

    # 4. the same service, on a connection older than the capture
    c = cap.tcp_conn(h["admin"], backup2, EPHEMERAL, 8402)
    c.send("c", b"BKP1" + bytes.fromhex("00000002000000180000000000000000") +
           b"heartbeat admin-mac seq=812",
           comment="the agent's long-lived control connection, open before the capture "
           "started: no SYN, so no Wireshark version knows the server port; Xsan's 60868 "
           "entry matches")
    cap.advance(0.9, jitter_us=200)
    c.send("s", b"BKP1" + bytes.fromhex("80000002000000020000000000000000") + b"OK")
    cap.advance(30)
    return cap


CAPTURES = {NAME: build}
