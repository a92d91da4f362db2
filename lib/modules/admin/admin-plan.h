/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The admin module's Module.provide: the AccountsPlan other modules count on (the admin user, its
 * keys and group, and the account and sudoers files as this apply will leave them). */

#include "engine.h"

int admin_provide(Context *c);
