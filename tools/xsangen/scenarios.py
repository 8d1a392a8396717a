# SPDX-License-Identifier: GPL-2.0-or-later
"""Find scenario modules and write their captures.

A scenario module is any module of the xsangen package or of
xsangen.stories that defines CAPTURES: a dict of capture file name ->
function returning a net.Capture. Adding a module is enough; nothing else
needs editing.
"""
import importlib
import pkgutil
from pathlib import Path

PACKAGES = ("xsangen", "xsangen.stories")


def discover():
    """{file name: builder} over all scenario modules, in a stable order."""
    found = {}
    for pkg_name in PACKAGES:
        pkg = importlib.import_module(pkg_name)
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
            if info.ispkg:
                continue
            mod = importlib.import_module(f"{pkg_name}.{info.name}")
            for name, build in getattr(mod, "CAPTURES", {}).items():
                if name in found:
                    raise SystemExit(f"capture {name} defined twice ({mod.__name__})")
                found[name] = build
    return found


def build(name):
    """The Capture of one file, freshly built."""
    return discover()[name]()


def generate(outdir, only=None):
    """Write every capture (or those named in only) into outdir."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, builder in discover().items():
        if only and name not in only:
            continue
        cap = builder()
        cap.write(outdir / name)
        written.append((name, len(cap.packets)))
    return written
