# SPDX-License-Identifier: GPL-2.0-or-later
"""Capture generator for the Xsan metadata wire model v1.

wire     the v1 model: constants, encoder, decoder
pcapng   deterministic pcapng writer
net      Ethernet/IP/UDP/TCP framing and a TCP connection model
vectors  decode-test captures (one scenario module per capture family)
stories  story captures (scenario modules added by others)
"""
