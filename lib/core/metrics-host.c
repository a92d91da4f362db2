/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <sys/stat.h>

#include "metrics-host.h"
#include "state.h"
#include "sys/fileio.h"

bool metrics_textfile_wanted(const Policy *p, const char *root) {
        _cleanup_free_ char *dir = NULL;
        const char *path = p->report.prometheus_textfile;
        struct stat st;

        if (!path || !strchr(path, '/'))
                return false;
        dir = strndup(path, (size_t) (strrchr(path, '/') - path));
        if (!dir)
                return false;
        return isempty(dir) || (lstat_at_root(root, dir, &st) >= 0 && S_ISDIR(st.st_mode));
}

int metrics_add_state(Metrics *m, const char *root) {
        _cleanup_(hardend_state_done) HardendState s = {};
        int r;

        r = state_read(root, &s);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        metrics_set_last_apply(m, s.apply_usec, s.apply_result);
        return 0;
}

int metrics_host_render(const Context *c, const Module *const *modules, size_t n, const FindingList *l,
                        uint64_t probe_usec, bool watcher_up, char **ret) {
        _cleanup_(metrics_done) Metrics m = {};
        _cleanup_free_ char *digest = NULL;
        uint64_t events[_MODULE_MAX];
        int r;

        r = state_read_drift_events(c->root, events);
        if (r < 0)
                return r;
        r = metrics_from_findings(c, modules, n, l, events, &m);
        if (r < 0)
                return r;
        r = metrics_add_state(&m, c->root);
        if (r < 0)
                return r;
        r = policy_digest(c->policy, &digest);
        if (r < 0)
                return r;
        r = metrics_set_policy_digest(&m, digest);
        if (r < 0)
                return r;
        m.last_probe_usec = probe_usec;
        m.watcher_up = watcher_up;
        return metrics_render(&m, ret);
}

int metrics_apply_findings(const ApplyResult *a, bool rolled_back, FindingList *ret) {
        _cleanup_(finding_list_done) FindingList l = {};
        int r;

        for (size_t i = 0; i < a->n_modules; i++) {
                const ModuleResult *mr = &a->modules[i];
                bool read_back = !rolled_back && mr->ran && (mr->r >= 0 || mr->r == -EPROTO);

                r = finding_list_append(&l, read_back ? &a->after : &a->before, mr->module->name);
                if (r < 0)
                        return r;
        }
        *ret = l;
        l = (FindingList){};
        return 0;
}

int metrics_write_textfile(const char *root, const char *path, const char *text) {
        /* rewritten at every interval: after a crash the next write puts it right */
        return write_file_atomic(root, path, text, strlen(text), 0644, UID_KEEP, GID_KEEP, &atomic_ops_nosync);
}
