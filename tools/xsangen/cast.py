# SPDX-License-Identifier: GPL-2.0-or-later
"""The people and machines of the generated captures: a small post-production
Xsan (two metadata controllers, edit bays, an admin Mac), and helpers that
scenario modules share."""
import calendar

from .net import Host

VOLUME = "MediaVol"
VOLUME_UUID = "5c3e9a10-7d4b-4f2e-9b1a-2e6f0c8d4a71"
CLUSTER = "PostCluster"
ROOT_INODE = 2


def hosts(v6=False):
    """Fresh hosts (each capture counts its own IPv4 IDs)."""
    if v6:
        return {
            "mdc": Host("mdc-a", "00:1b:63:a0:00:10", "fd00:20:30::10"),
            "mdc2": Host("mdc-b", "00:1b:63:a0:00:11", "fd00:20:30::11"),
            "bay": Host("edit-bay-03", "00:1b:63:b3:00:43", "fd00:20:30::43"),
        }
    return {
        "mdc": Host("mdc-a", "00:1b:63:a0:00:10", "10.20.30.10", 0x2a10),
        "mdc2": Host("mdc-b", "00:1b:63:a0:00:11", "10.20.30.11", 0x3b11),
        "bay": Host("edit-bay-03", "00:1b:63:b3:00:43", "10.20.30.43", 0x4c43),
        "bay2": Host("edit-bay-07", "00:1b:63:b3:00:47", "10.20.30.47", 0x5d47),
        "admin": Host("admin-mac", "00:1b:63:ad:00:05", "10.20.30.5", 0x6e05),
    }


def ns(y, mo, d, h=0, mi=0, s=0, frac_ns=0):
    """A UTC wall-clock time as nanoseconds since the epoch."""
    return calendar.timegm((y, mo, d, h, mi, s)) * 1000000000 + frac_ns


class Xids:
    """Transaction ids as a client chooses them: a counter from a start."""

    def __init__(self, start):
        self.next = start

    def __call__(self):
        self.next += 1
        return self.next - 1
