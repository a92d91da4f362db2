/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "modules.h"
#include "ssh.h"

const Module *const hardend_modules[] = {
        &ssh_module,
        NULL,
};

const size_t hardend_n_modules = ELEMENTSOF(hardend_modules) - 1;
