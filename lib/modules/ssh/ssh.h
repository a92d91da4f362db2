/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The SSH module: a drop-in that wins (sorted first, included at the top), validated with sshd -T
 * before it takes effect, the effective settings read back with sshd -T (Match blocks evaluated
 * for root and the admin), a reload that keeps sessions open, and the anti-lockout check. */

#include "engine.h"

extern const Module ssh_module;
