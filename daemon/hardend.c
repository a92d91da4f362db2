/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "log.h"
#include "policy.h"

static void help(void) {
        printf("hardend [OPTIONS...] COMMAND\n\n"
               "First-boot hardening daemon.\n\n"
               "Commands:\n"
               "  apply             Apply the policy (the first-boot and firewall units run this)\n\n"
               "Options:\n"
               "  -h --help             Show this help\n"
               "     --version          Show the version\n"
               "     --config=FILE      Policy file (default: %s, else the built-in default)\n"
               "     --root=DIR         Operate on an image tree\n"
               "     --only=MODULE,...  Limit to firewall, ssh, admin, services\n"
               "     --json             Machine-readable output\n"
               "     --force            Apply even where the anti-lockout checks refuse\n",
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
                return verb_apply();
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
