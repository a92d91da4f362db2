/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/* A TCP or UDP port in decimal, 1-65535, nothing before or after it: -EINVAL otherwise. */
int parse_port(const char *s, uint16_t *ret);
