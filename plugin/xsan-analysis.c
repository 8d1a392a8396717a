/* xsan-analysis.c
 * Helpers every analysis file uses (see xsan-analysis.h). Lowest of the
 * analysis files: it calls none of them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "xsan-analysis.h"

static uint64_t hash_seed;

void
xsan_analysis_init(void)
{
    hash_seed = ((uint64_t)g_random_int() << 32) | g_random_int();
}

bool
xsan_body_u64(const xsan_msg_t *msg, uint16_t tag, uint64_t *out)
{
    xsan_value_t v;
    if (!msg->body || !xsan_scope_get(msg->body->top, tag, &v))
        return false;
    *out = v.u;
    return true;
}

unsigned
xsan_u64_hash(const void *key)
{
    /* splitmix64's finaliser over the seeded key */
    uint64_t x = *(const uint64_t *)key ^ hash_seed;
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return (unsigned)(x ^ (x >> 32));
}
