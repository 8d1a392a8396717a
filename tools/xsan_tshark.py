# SPDX-License-Identifier: GPL-2.0-or-later
"""Run tshark with a given build of the Xsan plugin, never an installed one.

Wireshark scans its global plugin folder before the personal one and skips a
plugin whose file name it has already loaded, so an installed xsan.so would
shadow a fresh build. WIRESHARK_PLUGIN_DIR replaces the global folder: we
point it at a private tree that mirrors the stock plugins (stats_tree.so
among them, which -z ...,tree needs) with the fresh xsan.so in place of any
installed one. Root's tshark ignores that variable (and personal plugins),
so as root tshark runs as nobody.
"""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


def ws_version():
    first = subprocess.run(["tshark", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    return ".".join(first.split()[2].split(".")[:2])  # "TShark (Wireshark) 4.0.17 (...)"


def global_plugin_dir():
    out = subprocess.run(["tshark", "-G", "folders"], capture_output=True, text=True).stdout
    m = re.search(r"^Global Plugins:\s*(.+)$", out, re.M)
    return Path(m.group(1).strip()) if m else None


class Stage:
    """A private plugin tree and HOME for one fresh xsan.so."""

    def __init__(self, plugin, root=None):
        self.root = Path(root or tempfile.mkdtemp(prefix="xsan-tshark-"))
        self.version = ws_version()
        self.plugindir = self.root / "plugins"
        self.home = self.root / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        stock = global_plugin_dir()
        for kind in ("epan", "wiretap", "codecs"):
            dst = self.plugindir / self.version / kind
            dst.mkdir(parents=True, exist_ok=True)
            src = stock / kind if stock else None
            for so in sorted(src.glob("*.so")) if src and src.is_dir() else []:
                if so.name != "xsan.so":
                    (dst / so.name).symlink_to(so)
        self.plugin = self.plugindir / self.version / "epan" / "xsan.so"
        shutil.copy2(plugin, self.plugin)
        for dirpath, _dirs, files in os.walk(self.root):
            os.chmod(dirpath, 0o755)
            for f in files:
                p = os.path.join(dirpath, f)
                if not os.path.islink(p):
                    os.chmod(p, 0o644)
        self.prefix = NOBODY if os.geteuid() == 0 else []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESHARK")}
        self.env.update(HOME=str(self.home), WIRESHARK_PLUGIN_DIR=str(self.plugindir),
                        LC_ALL="C.UTF-8", TZ="UTC")

    def command(self, args):
        return self.prefix + ["tshark"] + [str(a) for a in args]

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)
