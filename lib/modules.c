/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "accounts.h"
#include "modules.h"
#include "services.h"

const Module *const hardend_modules[] = {
        &admin_module,
        &services_module,
        NULL,
};

const size_t hardend_n_modules = ELEMENTSOF(hardend_modules) - 1;
