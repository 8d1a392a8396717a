# SPDX-License-Identifier: GPL-2.0-or-later
"""Story 5: the administrator looks around.

Tuesday, 07:45 UTC, before the editors arrive. On admin-mac the system
administrator runs cvadmin against the FSM of MediaVol on mdc-a (captured
on admin-mac). Every cvadmin command is one ADMIN request carrying the
command line as ADMIN_COMMAND; the FSM answers with the text cvadmin
prints, as one multi-line ADMIN_OUTPUT (the longer ones span several TCP
segments). An admin connection needs no MOUNT: session stays 0.

  fsmlist          which FSMs the cluster knows, and where they run
  select MediaVol  the volume's summary
  show             its stripe groups and free space
  who              the clients with a session
  debug            the FSM's debugging flags
  stop MediaVol    refused: stopping a volume takes a privileged connection

Then a monitoring script asks for the raw counters with STATS, once per
volume on this FSM: one COUNTER group (NAME + VALUE) per counter.
"""
from ..net import Capture
from ..wire import Op, Status, Tag
from .house import A, Session, counter, err, ok, site, utc

NAME = "story-5-admin.pcapng"

OUTPUT = {
    "fsmlist": (
        "The following FSMs are running on the cluster \"PostCluster\":\n"
        "  *MediaVol[0]        located on mdc-a.local:60868 (pid 2741) Active\n"
        "   MediaVol[1]        located on mdc-b.local:60870 (pid 2204) Standby\n"
        "  *ProjectsVol[0]     located on mdc-b.local:60868 (pid 2210) Active\n"
        "   ProjectsVol[1]     located on mdc-a.local:60870 (pid 2747) Standby\n"
        "  *ArchiveVol[0]      located on mdc-c.local:60868 (pid 1877) Active\n"),
    "select MediaVol": (
        "Admin Tap Connection to FSM \"MediaVol\"\n"
        "Created           :  Mon Mar  4 10:12:44 2024\n"
        "Active Connections:  11\n"
        "Fs Block Size     :  4K\n"
        "Msg Buffer Size   :  4K\n"
        "Disk Devices      :  12\n"
        "Stripe Groups     :  4\n"
        "Fs Blocks         :  5860533120 (21.83 TB)\n"
        "Fs Blocks Free    :  2241806115 (8.35 TB) (38%)\n"),
    "show": (
        "Show stripe groups (File System \"MediaVol\")\n"
        "\n"
        "Stripe Group 0 [MetaFiles]  Status:Up,MetaData,Journal,Exclusive\n"
        "  Total Blocks:61046784 (232.87 GB)  Reserved:0 (0.00 B) Free:60110464 (229.30 GB) (98%)\n"
        "  MultiPath Method:Rotate\n"
        "    Primary  Stripe [MetaFiles]  Read:Enabled  Write:Enabled\n"
        "\n"
        "Stripe Group 1 [VideoFiles1]  Status:Up\n"
        "  Total Blocks:1953497088 (7.28 TB)  Reserved:270720 (1.03 GB) Free:742132224 (2.76 TB) (37%)\n"
        "  MultiPath Method:Rotate\n"
        "    Primary  Stripe [VideoFiles1]  Read:Enabled  Write:Enabled\n"
        "\n"
        "Stripe Group 2 [VideoFiles2]  Status:Up\n"
        "  Total Blocks:1953497088 (7.28 TB)  Reserved:270720 (1.03 GB) Free:751309568 (2.80 TB) (38%)\n"
        "  MultiPath Method:Rotate\n"
        "    Primary  Stripe [VideoFiles2]  Read:Enabled  Write:Enabled\n"
        "\n"
        "Stripe Group 3 [VideoFiles3]  Status:Up\n"
        "  Total Blocks:1953497088 (7.28 TB)  Reserved:270720 (1.03 GB) Free:748253859 (2.79 TB) (38%)\n"
        "  MultiPath Method:Rotate\n"
        "    Primary  Stripe [VideoFiles3]  Read:Enabled  Write:Enabled\n"),
    "who": (
        "Who (File System \"MediaVol\")\n"
        "  #  type    ip address      id         host              mounted\n"
        "  1  client  10.20.30.41     3a41c101   edit-bay-01.local  Tue 07:02\n"
        "  2  client  10.20.30.42     3a41c102   edit-bay-02.local  Tue 07:05\n"
        "  3  client  10.20.30.45     3a41c207   edit-bay-05.local  Mon 08:58\n"
        "  4  client  10.20.30.47     3a41c3f1   edit-bay-07.local  Mon 14:20\n"
        "  5  admin   10.20.30.5      -          admin-mac.local    (this tap)\n"),
    "debug": (
        "Debugging flags: 0x00000000\n"
        "  0x00000001  General          0x00000002  Sockets\n"
        "  0x00000004  Messages         0x00000008  Tokens\n"
        "  0x00000010  Allocation       0x00000020  Journal\n"),
}

COUNTERS = {
    "MediaVol": [("lookups", 18231004), ("getattrs", 40917711), ("creates", 120442),
                 ("removes", 98120), ("readdirs", 811206), ("allocations", 402118),
                 ("bytes_allocated", 184753362944000), ("tokens_granted", 9120455),
                 ("token_revokes", 1877), ("lock_conflicts", 312),
                 ("active_sessions", 11), ("journal_writes", 6244871)],
    "ProjectsVol": [("lookups", 2210333), ("getattrs", 5022781), ("creates", 30311),
                    ("allocations", 20977), ("tokens_granted", 411032),
                    ("token_revokes", 98), ("active_sessions", 9)],
}


def build():
    cap = Capture(seed=105, start_us=utc(2024, 11, 26, 7, 45, 2, 511870))
    cap.labels = {"admin": {}}
    h = site()
    s = Session(cap, h["admin"], h["mdc-a"], 62001, xid_start=0x00009001)
    s.connect("cvadmin on admin-mac connects to the FSM on mdc-a")
    for i, cmd in enumerate(OUTPUT):
        cap.advance(900 if i else 60, jitter_us=300000)  # the admin reads, then types
        s.call(Op.ADMIN, [A(Tag.ADMIN_COMMAND, cmd)],
               ok(A(Tag.ADMIN_OUTPUT, OUTPUT[cmd])), svc_ms=0.6 + 0.2 * len(OUTPUT[cmd]) / 500,
               comment=f"cvadmin> {cmd}",
               reply=f"what cvadmin prints for `{cmd}`: {OUTPUT[cmd].count(chr(10))} lines "
               "in one ADMIN_OUTPUT")
        cap.labels["admin"][cmd] = cap.messages[-1][0]
    cap.advance(1400, jitter_us=200000)
    s.call(Op.ADMIN, [A(Tag.ADMIN_COMMAND, "stop MediaVol")],
           err(Status.PERM, "stop requires a privileged (-e) connection on an MDC"),
           svc_ms=0.3, comment="cvadmin> stop MediaVol",
           reply="PERM: not from an ordinary cvadmin connection")
    cap.labels["perm"] = cap.messages[-1][0]
    cap.advance(2000, jitter_us=100000)
    s.close("cvadmin quits")

    cap.advance(4200, jitter_us=100000)
    m = Session(cap, h["admin"], h["mdc-a"], 62007, xid_start=0x00009101)
    m.connect("a monitoring script (every 5 minutes) connects for counters")
    cap.labels["stats"] = {}
    for vol, counters in COUNTERS.items():
        m.call(Op.STATS, [A(Tag.VOLUME, vol)], ok(*[counter(n, v) for n, v in counters]),
               svc_ms=0.4, comment=f"STATS {vol}: the FSM's raw counters",
               reply=f"{len(counters)} COUNTER groups, each NAME + VALUE")
        cap.labels["stats"][vol] = cap.messages[-1][0]
        cap.advance(3)
    m.close()
    return cap


CAPTURES = {NAME: build}
