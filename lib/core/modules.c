/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "modules.h"

#define MODULE_DECLARE(id, name) extern const Module name##_module;
HARDEND_MODULE_LIST(MODULE_DECLARE)

#define MODULE_ENTRY(id, name) &name##_module,
const Module *const hardend_modules[] = { HARDEND_MODULE_LIST(MODULE_ENTRY) NULL };

const size_t hardend_n_modules = ELEMENTSOF(hardend_modules) - 1;
