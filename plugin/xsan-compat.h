/* xsan-compat.h
 * The few API differences between Wireshark 4.0, 4.4 and 4.6 that this
 * plugin meets, in one place so that the dissector reads the same on all.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XSAN_COMPAT_H
#define XSAN_COMPAT_H

#include <wireshark.h>
#include <epan/packet.h>
#include <epan/tfs.h>

#define XSAN_WS_AT_LEAST(maj, min) \
    (WIRESHARK_VERSION_MAJOR > (maj) || \
     (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* 4.4 switched callback and preference types from gboolean to bool; values
 * behind a pointer (preferences, heuristic return type) must match. */
#if XSAN_WS_AT_LEAST(4, 4)
typedef bool xsan_bool;
#else
typedef gboolean xsan_bool;
#endif

/* GLib's own callbacks (GEqualFunc for wmem maps) return gboolean on every
 * version. */
typedef gboolean xsan_glib_bool;

/* 4.4 renamed the 8/16/32-bit tvb getters and deprecated the old names. */
#if XSAN_WS_AT_LEAST(4, 4)
#define xsan_tvb_get_u8(tvb, off)  tvb_get_uint8((tvb), (off))
#else
#define xsan_tvb_get_u8(tvb, off)  tvb_get_guint8((tvb), (off))
#endif

/* 4.6 gave val_to_str a wmem scope argument. */
#if XSAN_WS_AT_LEAST(4, 6)
#define xsan_val_to_str(scope, val, vs, fmt) val_to_str((scope), (val), (vs), (fmt))
#else
#define xsan_val_to_str(scope, val, vs, fmt) val_to_str((val), (vs), (fmt))
#endif

/* 4.6 renamed the wsutil/pint.h readers (pntoh32 -> pntohu32, ...). */
#include <wsutil/pint.h>
#if XSAN_WS_AT_LEAST(4, 6)
#define xsan_pntoh16(p) pntohu16(p)
#define xsan_pntoh32(p) pntohu32(p)
#else
#define xsan_pntoh16(p) pntoh16(p)
#define xsan_pntoh32(p) pntoh32(p)
#endif

/* format_text() takes const guchar * in 4.0 and const char * from 4.4 on. */
#if XSAN_WS_AT_LEAST(4, 4)
#define xsan_format_text(pool, s, len) format_text((pool), (const char *)(s), (len))
#else
#define xsan_format_text(pool, s, len) format_text((pool), (const guchar *)(s), (len))
#endif

/* Field (hf) and expert (ei) ids start at 0 as upstream writes them: every
 * version accepts that (checked on 4.0.17: fields, expert items and the
 * tree are the same as with -1). Subtree (ett) ids cannot: 4.0's
 * register_subtree_array() aborts tshark ("subtree item type (ett_...) not
 * -1") for any that is not -1, so they start at XSAN_ETT_INIT. */
#if XSAN_WS_AT_LEAST(4, 4)
#define XSAN_ETT_INIT 0
#else
#define XSAN_ETT_INIT -1
#endif

/* UNS(), the unit_name_string cast for BASE_UNIT_STRING fields, is missing in
 * 4.0 (4.4 and 4.6 have it). */
#ifndef UNS
#define UNS(x) ((const struct unit_name_string *)(x))
#endif

#endif /* XSAN_COMPAT_H */
