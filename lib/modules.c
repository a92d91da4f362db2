/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "accounts.h"
#include "modules.h"
#include "services.h"
#include "ssh.h"

/* Apply order: the admin and its keys exist before sshd is locked down. */
const Module *const hardend_modules[] = {
        &admin_module,
        &ssh_module,
        &services_module,
        NULL,
};

const size_t hardend_n_modules = ELEMENTSOF(hardend_modules) - 1;
