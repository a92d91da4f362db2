/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer: the sshd_config readers: line splitting, whether the main file includes our drop-in
 * in time, adding the Include (after which it must), redirecting Includes, the managed lines of a
 * drop-in. (The SSH module reads passwd and group through AcctDb: fuzz-acctdb.) */
#include "fuzz-util.h"
#include "policy.h"
#include "ssh-config.h"
#include "strv.h"

static SshSettings settings;

static void settings_init(void) {
        static bool done;
        Policy *p = NULL;
        PolicyError e = {};
        SshAlgorithms a = {};

        if (done)
                return;
        done = true;
        if (policy_load_builtin(&p, &e) < 0 || ssh_settings_from_policy(&p->ssh, &a, &settings) < 0)
                abort();
        policy_free(p);
        policy_error_done(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL, *added = NULL, *redirected = NULL, *kw = NULL, *args = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        size_t added_len = 0;
        bool conflicts = false;
        int r;

        if (size > 64 * 1024)
                return 0;
        settings_init();
        text = fuzz_strndup(data, size);
        if (!text)
                return 0;

        r = ssh_config_split_line(text, size, &kw, &args);
        if (r >= 0 && !kw)
                abort();

        (void) ssh_config_includes_dropin(text, size);
        if (ssh_config_add_include(text, size, &added, &added_len) >= 0 &&
            ssh_config_includes_dropin(added, added_len) != 1)
                abort();
        (void) ssh_config_redirect_includes(text, size, "/tmp/fuzz.d", &redirected);
        if (ssh_config_managed_lines(text, size, &settings, &lines, &conflicts) < 0 && lines)
                abort();
        return 0;
}
