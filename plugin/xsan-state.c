/* xsan-state.c
 * Conversation state and analysis (being written; see issue 4).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "xsan-state.h"

void
xsan_state_register(int proto _U_, module_t *prefs _U_)
{
}

void
xsan_state_message(packet_info *pinfo _U_, xsan_msg_t *msg _U_)
{
}

const char *
xsan_state_info(packet_info *pinfo _U_, const xsan_msg_t *msg _U_)
{
    return NULL;
}
