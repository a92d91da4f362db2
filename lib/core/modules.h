/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "engine.h"

/* The modules built into the programs, in apply order. */
extern const Module *const hardend_modules[];
extern const size_t hardend_n_modules;
