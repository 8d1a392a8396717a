# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared test harness: run tshark with the freshly built plugin.

tshark run as root ignores personal plugin folders and WIRESHARK_PLUGIN_DIR,
so every tshark here runs as an unprivileged user (nobody, through setpriv,
when the suite itself runs as root) with a private HOME whose personal
plugin folder holds a copy of build/xsan.so. The session fails loudly when
`tshark -G plugins` does not list exactly that copy.
"""
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CAPTURES = REPO / "captures"
CORPUS = REPO.parent / "shared" / "corpus"
BUILD = Path(os.environ.get("XSAN_BUILD_DIR", REPO / "build"))
AGG = "\x1e"  # aggregator for repeated fields: never appears in our values


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _ws_version():
    out = subprocess.run(["tshark", "-v"], capture_output=True, text=True).stdout
    first = out.splitlines()[0]  # "TShark (Wireshark) 4.0.17 (...)"
    major, minor = first.split()[2].split(".")[:2]
    return f"{major}.{minor}"


class TShark:
    """tshark as an unprivileged user, with the built plugin as a personal plugin."""

    def __init__(self, root):
        self.root = Path(root)
        self.home = self.root / "home"
        self.files = self.root / "files"
        self.files.mkdir(parents=True)
        so = BUILD / "xsan.so"
        if not so.is_file():
            pytest.exit(f"no freshly built plugin at {so}: build first (tests/run does)", 2)
        self.version = _ws_version()
        plugdir = self.home / ".local/lib/wireshark/plugins" / self.version / "epan"
        plugdir.mkdir(parents=True)
        self.plugin = plugdir / "xsan.so"
        shutil.copy2(so, self.plugin)
        self.plugin_sha = _sha(so)
        for dirpath, dirnames, filenames in os.walk(self.root):
            os.chmod(dirpath, 0o777)
            for f in filenames:
                os.chmod(os.path.join(dirpath, f), 0o644)
        os.chmod(self.root, 0o755)
        self.prefix = []
        if os.geteuid() == 0:
            self.prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESHARK")}
        self.env.update(HOME=str(self.home), LC_ALL="C.UTF-8", TZ="UTC")

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
        cmd = self.prefix + ["tshark"]
        if capture is not None:
            cmd += ["-r", str(self.stage(capture))]
        cmd += [str(a) for a in args]
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
        for line in out.splitlines():
            cols = line.split("\t")
            cols += [""] * (len(names) - len(cols))
            rows.append({n: (c.split(AGG) if c else []) for n, c in zip(names, cols)})
        return rows

    def count(self, capture, dfilter, two_pass=False, extra=()):
        return len(self.fields(capture, ["frame.number"], dfilter, two_pass, extra))


@pytest.fixture(scope="session")
def tshark(tmp_path_factory):
    root = Path(tempfile.mkdtemp(prefix="xsan-tshark-"))
    ts = TShark(root)
    out = ts.run("-G", "plugins").stdout
    mine = [l.split("\t") for l in out.splitlines() if l.startswith("xsan.so")]
    if not mine or Path(mine[0][-1]).resolve() != ts.plugin.resolve():
        pytest.exit("tshark -G plugins does not list the freshly built plugin "
                    f"{ts.plugin}:\n{out}", 2)
    if _sha(ts.plugin) != ts.plugin_sha:
        pytest.exit("the staged plugin is not the one just built", 2)
    yield ts
    shutil.rmtree(root, ignore_errors=True)
