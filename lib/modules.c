/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "firewall.h"
#include "modules.h"

const Module *const hardend_modules[] = {
        &firewall_module,
        NULL,
};

const size_t hardend_n_modules = ELEMENTSOF(hardend_modules) - 1;
