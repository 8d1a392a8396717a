# SPDX-License-Identifier: GPL-2.0-or-later
"""Story captures. Each module here that defines CAPTURES is found by
tools/gen-captures; see xsangen.scenarios for the contract."""
