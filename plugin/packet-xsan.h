/* packet-xsan.h
 * The dissector's registration, called by the plugin loader glue (plugin.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PACKET_XSAN_H
#define PACKET_XSAN_H

void proto_register_xsan(void);
void proto_reg_handoff_xsan(void);

#endif /* PACKET_XSAN_H */
