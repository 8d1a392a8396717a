# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared test harness: run tshark with the freshly built plugin.

tools/xsan_tshark.py stages build/xsan.so in a private plugin tree that
replaces the global plugin folder (an installed xsan.so can never shadow it)
and runs tshark as nobody when the suite runs as root, since root's tshark
ignores WIRESHARK_PLUGIN_DIR. The session fails loudly when `tshark -G
plugins` does not list exactly that copy.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
from xsan_tshark import Stage  # noqa: E402

CAPTURES = REPO / "captures"
CORPUS = REPO.parent / "shared" / "corpus"
BUILD = Path(os.environ.get("XSAN_BUILD_DIR", REPO / "build"))
AGG = "\x1e"  # aggregator for repeated fields: never appears in our values


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class TShark:
    """tshark as an unprivileged user, with the built plugin staged."""

    def __init__(self):
        so = BUILD / "xsan.so"
        if not so.is_file():
            pytest.exit(f"no freshly built plugin at {so}: build first (tests/run does)", 2)
        self.stage_ = Stage(so)
        self.root = self.stage_.root
        self.files = self.root / "files"
        self.files.mkdir()
        os.chmod(self.files, 0o777)
        self.version = self.stage_.version
        self.plugin = self.stage_.plugin
        self.plugin_sha = _sha(so)
        self.prefix = self.stage_.prefix
        self.env = self.stage_.env

    def unescape(self, value):
        """From 4.4 on, -T fields escapes backslashes too (4.0 leaves them)."""
        if tuple(map(int, self.version.split("."))) < (4, 4) or "\\" not in value:
            return value
        return re.sub(r"\\([\\tnr])", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1), "\\"), value)

    def stage(self, capture):
        """Copy a capture where the unprivileged user can read it."""
        src = Path(capture)
        if not src.is_absolute() and not src.exists():
            src = CAPTURES / src
        dst = self.files / (hashlib.sha1(str(src).encode()).hexdigest()[:10] + "-" + src.name)
        if not dst.exists():
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o644)
        return dst

    def run(self, *args, capture=None, check=True, timeout=300, input=None):
        pre = ["-r", str(self.stage(capture))] if capture is not None else []
        cmd = self.stage_.command(pre + list(args))
        proc = subprocess.run(cmd, capture_output=True, text=True, env=self.env,
                              cwd=self.files, timeout=timeout, input=input,
                              errors="replace")
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    def fields(self, capture, names, dfilter=None, two_pass=False, extra=()):
        """One dict per displayed packet: field name -> list of its values."""
        args = ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                "-E", "aggregator=" + AGG, "-E", "quote=n"]
        for n in names:
            args += ["-e", n]
        if two_pass:
            args.append("-2")
        if dfilter:
            args += ["-Y", dfilter]
        args += list(extra)
        out = self.run(*args, capture=capture).stdout
        rows = []
        # split("\n"), not splitlines(): that also breaks at the \x1e aggregator
        for line in out.split("\n"):
            if not line:
                continue
            cols = line.split("\t")
            cols += [""] * (len(names) - len(cols))
            rows.append({n: ([self.unescape(v) for v in c.split(AGG)] if c else [])
                         for n, c in zip(names, cols)})
        return rows

    def count(self, capture, dfilter, two_pass=False, extra=()):
        return len(self.fields(capture, ["frame.number"], dfilter, two_pass, extra))


@pytest.fixture(scope="session")
def tshark():
    ts = TShark()
    out = ts.run("-G", "plugins").stdout
    mine = [l.split("\t") for l in out.splitlines() if l.startswith("xsan.so")]
    if len(mine) != 1 or Path(mine[0][-1]) != ts.plugin:
        pytest.exit("tshark -G plugins does not list exactly the freshly built plugin "
                    f"{ts.plugin}:\n{out}", 2)
    if _sha(ts.plugin) != ts.plugin_sha:
        pytest.exit("the staged plugin is not the one just built", 2)
    yield ts
    ts.stage_.cleanup()
