/* plugin.c
 * The symbols Wireshark's plugin loader looks up.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "packet-xsan.h"
#include "xsan-compat.h"

#if XSAN_WS_AT_LEAST(4, 4)
#include <wsutil/plugins.h>     /* WS_PLUGIN_DESC_DISSECTOR; 4.0 has neither */
#endif

WS_DLL_PUBLIC_DEF const char plugin_version[] = XSAN_PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

void
plugin_register(void)
{
    static proto_plugin plug;

    plug.register_protoinfo = proto_register_xsan;
    plug.register_handoff = proto_reg_handoff_xsan;
    proto_register_plugin(&plug);
}

#ifdef WS_PLUGIN_DESC_DISSECTOR
WS_DLL_PUBLIC uint32_t plugin_describe(void);

uint32_t
plugin_describe(void)
{
    return WS_PLUGIN_DESC_DISSECTOR;
}
#endif
