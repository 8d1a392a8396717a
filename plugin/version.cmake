# SPDX-License-Identifier: GPL-2.0-or-later
# The plugin's version, in one place for the standalone and the in-tree build.
set(XSAN_VERSION 0.1.0)
