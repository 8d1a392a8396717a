#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Stage a plugin build for tshark and print shell assignments for it.

usage: eval "$(fuzz/xsan_stage.py PLUGIN.so [DIR])"
sets STAGE (the private tree), STAGE_HOME, STAGE_PLUGIN_DIR and STAGE_PREFIX
(setpriv to nobody when run as root: root's tshark ignores
WIRESHARK_PLUGIN_DIR). Built on tools/xsan_tshark.Stage, the test suite's.
"""
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from xsan_tshark import Stage  # noqa: E402

if len(sys.argv) < 2:
    sys.exit(__doc__)
st = Stage(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None)
print(f"STAGE={shlex.quote(str(st.root))}")
print(f"STAGE_HOME={shlex.quote(str(st.home))}")
print(f"STAGE_PLUGIN_DIR={shlex.quote(str(st.plugindir))}")
print(f"STAGE_PREFIX={shlex.quote(' '.join(st.prefix))}")
