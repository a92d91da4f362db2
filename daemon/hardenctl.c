/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "log.h"
#include "policy.h"

#define CONFIRM_MAX_SEC 3600

static unsigned arg_confirm = 0;

static void help(void) {
        printf("hardenctl [OPTIONS...] COMMAND\n\n"
               "Check and apply the hardend policy.\n\n"
               "Commands:\n"
               "  status            Per-module compliance at a glance (exit 1 on drift)\n"
               "  check             Probe the system against the policy (exit 1 on drift)\n"
               "  plan              Show what apply would change (exit 1 if anything)\n"
               "  apply             Make the system match the policy\n"
               "  confirm           Keep the changes of a waiting \"apply --confirm\" (run it\n"
               "                    from a NEW ssh login)\n"
               "  validate [FILE]   Check a policy file (exit 2 with FILE:LINE: on errors)\n\n"
               "Options:\n"
               "  -h --help             Show this help\n"
               "     --version          Show the version\n"
               "     --config=FILE      Policy file (default: %s, else the built-in default)\n"
               "     --root=DIR         Operate on an image tree: files, users and unit links only\n"
               "     --only=MODULE,...  Limit to firewall, ssh, admin, services\n"
               "     --json             Machine-readable output\n"
               "     --format=FORMAT    status: text, json or prometheus (the metrics textfile)\n"
               "     --force            Apply even where the anti-lockout checks refuse\n"
               "     --confirm=SECONDS  apply: snapshot first, apply, then wait for \"hardenctl\n"
               "                        confirm\"; roll everything back without it, or if\n"
               "                        this session ends (exit 4)\n\n"
               "Exit status: 0 compliant/applied, 1 drift, 2 usage or config error,\n"
               "3 refused for safety, 4 a system operation failed or apply --confirm\n"
               "rolled back.\n",
               POLICY_DEFAULT_PATH);
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "confirm", required_argument, NULL, ARG_CONFIRM },
                { "format", required_argument, NULL, ARG_FORMAT },
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
                case ARG_CONFIRM: {
                        char *end = NULL;
                        unsigned long v;

                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno != 0 || !end || *end || optarg[0] == '-' || v < 1 || v > CONFIRM_MAX_SEC) {
                                log_error("--confirm: \"%s\" is not a number of seconds from 1 to %d.", optarg,
                                          CONFIRM_MAX_SEC);
                                return -EINVAL;
                        }
                        arg_confirm = (unsigned) v;
                        break;
                }
                case ARG_FORMAT:
                        if (streq(optarg, "json"))
                                arg_json = true;
                        else if (streq(optarg, "prometheus"))
                                arg_prometheus = true;
                        else if (!streq(optarg, "text")) {
                                log_error("--format: \"%s\" is not text, json or prometheus.", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_VERSION:
                        printf("hardenctl %s\n", HARDEND_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        return 1;
}

static int run(int argc, char *argv[]) {
        const char *verb;
        int r, recovered;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_COMPLIANT;
        if (optind >= argc) {
                log_error("Missing command; see hardenctl --help.");
                return EXIT_USAGE;
        }
        verb = argv[optind];
        if (streq(verb, "validate")) {
                if (argc - optind > 2) {
                        log_error("validate takes at most one file.");
                        return EXIT_USAGE;
                }
                return verb_validate(argv[optind + 1]);
        }
        if (argc - optind > 1) {
                log_error("%s takes no arguments.", verb);
                return EXIT_USAGE;
        }
        if (arg_prometheus && (!streq(verb, "status") || arg_json)) {
                log_error("--format=prometheus is an option of status, without --json.");
                return EXIT_USAGE;
        }
        if (arg_confirm > 0 && !streq(verb, "apply")) {
                log_error("--confirm is an option of apply.");
                return EXIT_USAGE;
        }
        /* an "apply --confirm" that was killed left its snapshot: put it back before anything else */
        recovered = cli_recover_rollback();
        if (recovered < 0)
                return EXIT_FAILED;
        if (streq(verb, "confirm"))
                return verb_confirm(recovered);
        if (streq(verb, "check"))
                return verb_check();
        if (streq(verb, "plan"))
                return verb_plan();
        if (streq(verb, "apply"))
                return verb_apply(arg_confirm);
        if (streq(verb, "status"))
                return verb_status();
        log_error("Unknown command \"%s\"; see hardenctl --help.", verb);
        return EXIT_USAGE;
}

int main(int argc, char *argv[]) {
        int r;

        log_setup(LOG_TARGET_AUTO);
        r = run(argc, argv);
        cli_free();
        return r;
}
