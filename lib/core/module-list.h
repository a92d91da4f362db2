/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The modules built into the programs, in apply order: the firewall first (no packet in
 * unhardened), the admin and its keys before sshd is locked down, the stray daemons last.
 * X(ID, name): the ModuleId MODULE_<ID>, the policy section and --only word "name", and the module
 * table name_module (lib/modules/name/). Adding a module is one line here and its own files. */
#define HARDEND_MODULE_LIST(X) \
        X(FIREWALL, firewall)  \
        X(ADMIN, admin)        \
        X(SSH, ssh)            \
        X(SERVICES, services)
