# SPDX-License-Identifier: GPL-2.0-or-later
"""tshark command lines for tools (bench/run, tools/xsan-batch).

With a plugin path, tshark runs with exactly that build, staged by
xsan_tshark.Stage (a private plugin tree replacing the global folder, run as
nobody when we are root). Without one, tshark runs as the caller with the
plugin it has installed, exactly as a user types it.
"""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from xsan_tshark import Stage, ws_version  # noqa: F401  (ws_version re-exported)


class TShark:
    """tshark command lines, environment and a private staging folder."""

    def __init__(self, plugin=None, root=None):
        self.plugin_src = Path(plugin).resolve() if plugin else None
        self.root = Path(root or tempfile.mkdtemp(prefix="xsan-ws-"))
        self.prefix, self.plugin = [], None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESHARK")}
        self.env.update(LC_ALL="C.UTF-8", TZ="UTC")
        self.unprivileged = False
        if self.plugin_src is None:
            return
        if not self.plugin_src.is_file():
            raise FileNotFoundError(f"no plugin at {self.plugin_src}")
        stage = Stage(self.plugin_src, self.root)
        self.plugin, self.env, self.prefix = stage.plugin, stage.env, stage.prefix
        self.unprivileged = bool(self.prefix)
        (self.root / "files").mkdir(exist_ok=True)
        os.chmod(self.root / "files", 0o777)    # private; tshark as nobody writes here

    def cmd(self, *args):
        return self.prefix + ["tshark"] + [str(a) for a in args]

    def run(self, *args, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        return subprocess.run(self.cmd(*args), env=self.env, **kw)

    def check(self):
        """Raise unless `tshark -G plugins` lists the plugin we meant."""
        out = self.run("-G", "plugins").stdout
        mine = [l.split("\t") for l in out.splitlines() if l.startswith("xsan.so")]
        if not mine:
            raise RuntimeError("tshark does not load xsan.so (install it, or pass --plugin)")
        loaded = Path(mine[0][-1].strip())
        if self.plugin and loaded.resolve() != self.plugin.resolve():
            raise RuntimeError(f"tshark loads {loaded}, not the staged {self.plugin}")
        return loaded

    def has_tap(self, name):
        """Whether a -z statistic (e.g. 'xsan,srt') is registered."""
        p = self.run("-z", "help")      # tshark prints this list on stderr
        return any(l.strip() == name for l in (p.stdout + p.stderr).splitlines())

    def readable(self, path):
        """Can the user tshark runs as open this file?"""
        if not self.unprivileged:
            return os.access(path, os.R_OK)
        return subprocess.run(self.prefix + ["test", "-r", str(path)]).returncode == 0

    def stage(self, path):
        """A copy the unprivileged user can read (only when it must)."""
        if self.readable(path):
            return Path(path)
        dst = self.root / "files" / Path(path).name
        shutil.copyfile(path, dst)
        os.chmod(dst, 0o644)
        return dst

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)
