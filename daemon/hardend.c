/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "manager.h"
#include "modules.h"
#include "policy.h"
#include "state.h"

static void help(void) {
        printf("hardend [OPTIONS...] COMMAND\n\n"
               "First-boot hardening daemon.\n\n"
               "Commands:\n"
               "  apply             Apply the policy (the firewall unit runs this)\n"
               "  firstboot         Apply, once per instance (the first-boot unit runs this)\n"
               "  watch             Stay resident: log drift from the policy, repair it in repair mode\n"
               "  firstboot-needed  Exit 0 when this instance has not been hardened yet, else 1\n\n"
               "Options:\n"
               "  -h --help             Show this help\n"
               "     --version          Show the version\n"
               "     --config=FILE      Policy file (default: %s, else the built-in default)\n"
               "     --root=DIR         Operate on an image tree\n"
               "     --only=MODULE,...  Limit to firewall, ssh, admin, services\n"
               "     --json             Machine-readable output\n"
               "     --force            Apply even where the anti-lockout checks refuse\n\n"
               "Exit status: 0 compliant/applied, 1 drift (firstboot-needed: not needed), 2 usage or\n"
               "config error, 3 refused for safety, 4 a system operation failed.\n",
               POLICY_DEFAULT_PATH);
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                r = cli_parse_common(c, optarg);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("hardend %s\n", HARDEND_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        return 1;
}

/* hardend watch: the resident watcher (hardend.service). The policy's watch section sets the
 * interval and the mode; SIGHUP reloads the policy. */
static int verb_watch(void) {
        _cleanup_(manager_freep) Manager *m = NULL;
        Policy *p = NULL;
        int r;

        if (arg_json || arg_force || arg_only) {
                log_error("watch takes no --json, --force or --only.");
                return EXIT_USAGE;
        }
        if (cli_load_policy(&p) < 0)
                return EXIT_USAGE;
        r = manager_new(&(ManagerOptions){ .config = arg_config,
                                           .root = arg_root,
                                           .modules = hardend_modules,
                                           .run_dir = geteuid() == 0 ? HARDEND_RUN_DIR : NULL,
                                           .n_modules = hardend_n_modules },
                        p, &m);
        if (r < 0) {
                policy_free(p);
                log_error_errno(r, "Cannot start the watcher: %m");
                return EXIT_FAILED;
        }
        r = manager_startup(m);
        if (r < 0)
                return EXIT_FAILED;
        r = manager_run(m);
        return r < 0 ? EXIT_FAILED : EXIT_COMPLIANT;
}

/* Whether this instance's first boot is due: no record of a complete apply for it. A state file
 * that cannot be read says "due". Logs the answer, except "not due", which *ret_id is kept for. */
/* For a process whose one line comes just before it exits: journald ties a native message to its
 * unit by reading the sender's /proc, which is gone by then (systemd#2913), while a line on the
 * unit's own stdout stream carries the unit from the stream's header. */
static void log_last_words(void) {
        if (log_get_target() == LOG_TARGET_JOURNAL)
                log_setup(LOG_TARGET_STDERR);
}

static bool firstboot_due(char **ret_id) {
        _cleanup_free_ char *id = NULL;
        int r;

        r = state_firstboot_needed(arg_root, &id);
        if (r < 0)
                log_warning_errno(r, "Cannot read %s (%m); assuming the first boot.", STATE_PATH);
        else if (r > 0)
                log_info("Instance %s has not been hardened yet.", id ?: "(no id)");
        *ret_id = TAKE_PTR(id);
        return r != 0;
}

/* hardend firstboot-needed: 0 when a first boot is due, 1 when not; for scripts and
 * ExecCondition=, where 255 would fail the unit. */
static int verb_firstboot_needed(void) {
        _cleanup_free_ char *id = NULL;

        if (firstboot_due(&id))
                return 0;
        log_last_words();
        log_info("Instance %s was hardened already.", strna(id));
        return 1;
}

/* hardend firstboot: ExecStart= of hardend-firstboot.service. The apply, when the first boot is
 * due; else READY=1 and 0 at once. One process where an ExecCondition= would start a second one on
 * the way to sshd. */
static int verb_firstboot(void) {
        _cleanup_free_ char *id = NULL;

        if (firstboot_due(&id))
                return verb_apply(0);
        log_last_words();
        log_info("Instance %s was hardened already; nothing to do.", strna(id));
        (void) sd_notify(false, "READY=1\nSTATUS=This instance was hardened already.");
        return EXIT_COMPLIANT;
}

static int run(int argc, char *argv[]) {
        int r = parse_argv(argc, argv);

        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_COMPLIANT;
        if (optind >= argc) {
                log_error("Missing command; see hardend --help.");
                return EXIT_USAGE;
        }
        if (argc - optind > 1) {
                log_error("Too many arguments; see hardend --help.");
                return EXIT_USAGE;
        }
        if (streq(argv[optind], "apply"))
                return verb_apply(0);
        if (streq(argv[optind], "watch"))
                return verb_watch();
        if (streq(argv[optind], "firstboot"))
                return verb_firstboot();
        if (streq(argv[optind], "firstboot-needed"))
                return verb_firstboot_needed();
        log_error("Unknown command \"%s\"; see hardend --help.", argv[optind]);
        return EXIT_USAGE;
}

int main(int argc, char *argv[]) {
        int r;

        log_setup(LOG_TARGET_AUTO);
        r = run(argc, argv);
        cli_free();
        return r;
}
