/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "admin.h"
#include "firewall.h"
#include "modules.h"
#include "services.h"
#include "ssh.h"

/* Apply order: the firewall first (no packet in unhardened), the admin and its keys before sshd is
 * locked down, the stray daemons last. */
const Module *const hardend_modules[] = {
        &firewall_module, &admin_module, &ssh_module, &services_module, NULL,
};

const size_t hardend_n_modules = ELEMENTSOF(hardend_modules) - 1;
