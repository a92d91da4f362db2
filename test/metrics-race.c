/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A scrape never sees a partial textfile: a reader process parses the file in a tight loop while
 * this process rewrites it N times through metrics_write_textfile(), each version a different
 * length. Every read must be one complete, valid version. The validator is first shown to reject
 * every proper prefix of a valid file, so that a torn read could not pass unnoticed.
 *
 *   metrics-race DIR [N] [--in-place]
 *
 * --in-place writes the same versions without the temp file and rename (truncate, then write in two
 * halves): the control that shows the reader does catch torn files (it must fail then).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics-host.h"
#include "metrics.h"
#include "sys/fileio.h"

#define TEXTFILE "/hardend.prom"

static const char *const families[] = {
        "hardend_build_info",
        "hardend_module_compliant",
        "hardend_findings",
        "hardend_drift_events_total",
        "hardend_last_apply_timestamp_seconds",
        "hardend_last_apply_success",
        "hardend_last_probe_timestamp_seconds",
        "hardend_firewall_backend_info",
        "hardend_policy_info",
        "hardend_watcher_up",
};

static int family_index(const char *line, size_t len) {
        for (size_t i = 0; i < ELEMENTSOF(families); i++) {
                size_t n = strlen(families[i]);

                if (len > n && strncmp(line, families[i], n) == 0 && (line[n] == '{' || line[n] == ' '))
                        return (int) i;
        }
        return -1;
}

/* 0 and the version (the probe time in seconds) when text is one whole file as the writer makes it */
static int validate(const char *text, size_t len, uint64_t *ret_version) {
        unsigned samples[ELEMENTSOF(families)] = {}, typed[ELEMENTSOF(families)] = {};
        const char *p = text, *end = text + len;
        uint64_t version = 0;
        bool last_up = false;

        if (len == 0 || text[len - 1] != '\n')
                return -EBADMSG;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t l = (size_t) (nl - p);
                int k;

                last_up = false;
                if (l > 7 && strncmp(p, "# TYPE ", 7) == 0) {
                        k = family_index(p + 7, l - 7);
                        if (k < 0)
                                return -EBADMSG;
                        typed[k]++;
                } else if (l > 7 && strncmp(p, "# HELP ", 7) == 0) {
                        if (family_index(p + 7, l - 7) < 0)
                                return -EBADMSG;
                } else {
                        const char *sp = memrchr(p, ' ', l);
                        char value[64], *e = NULL;

                        k = family_index(p, l);
                        if (k < 0 || !sp || (size_t) (nl - sp - 1) == 0 || (size_t) (nl - sp - 1) >= sizeof(value))
                                return -EBADMSG;
                        if (memchr(p, '{', l) && sp[-1] != '}')
                                return -EBADMSG;
                        memcpy(value, sp + 1, (size_t) (nl - sp - 1));
                        value[nl - sp - 1] = 0;
                        errno = 0;
                        (void) strtod(value, &e);
                        if (errno != 0 || *e)
                                return -EBADMSG;
                        if (!typed[k])
                                return -EBADMSG; /* a sample before its TYPE line */
                        samples[k]++;
                        if (streq(families[k], "hardend_last_probe_timestamp_seconds"))
                                version = strtoull(value, NULL, 10);
                        last_up = streq(families[k], "hardend_watcher_up") && streq(value, "1");
                }
                p = nl + 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(families); i++)
                if (typed[i] != 1 || samples[i] == 0)
                        return -EBADMSG;
        /* the per-module families agree on the number of modules */
        if (samples[1] != samples[3] || samples[2] != 4 * samples[1] || !last_up || version == 0)
                return -EBADMSG;
        *ret_version = version;
        return 0;
}

static const char *const module_names[] = { "firewall", "admin", "ssh", "services", "extra1", "extra2", "extra3" };

/* Version i: a different number of modules and findings each time, so that lengths differ. */
static int make_version(unsigned i, char **ret) {
        MetricsModule mods[ELEMENTSOF(module_names)] = {};
        Metrics m = { .version = "race", .watcher_up = true };
        static char backend[] = "nftables";
        static char digest[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

        m.n_modules = 1 + i % ELEMENTSOF(module_names);
        for (size_t k = 0; k < m.n_modules; k++)
                mods[k] = (MetricsModule){ .name = module_names[k],
                                           .state = (i + k) % 2 ? MODULE_STATE_DRIFTED : MODULE_STATE_COMPLIANT,
                                           .findings = { [SEVERITY_HIGH] = i * 7919u % 100000u },
                                           .drift_events = (uint64_t) i * 1000003u };
        m.modules = mods;
        m.last_apply_usec = 1764612345000000ULL + i;
        m.last_apply_success = i % 3 != 0;
        m.last_probe_usec = (uint64_t) i * 1000000ULL;
        m.firewall_backend = backend;
        m.policy_sha256 = digest;
        return metrics_render(&m, ret);
}

static int self_check(void) {
        _cleanup_free_ char *text = NULL;
        uint64_t v = 0;
        size_t len;

        if (make_version(42, &text) < 0)
                return -ENOMEM;
        len = strlen(text);
        if (validate(text, len, &v) < 0 || v != 42) {
                fprintf(stderr, "not ok - the validator rejects a whole file\n");
                return -EBADMSG;
        }
        for (size_t l = 0; l < len; l++)
                if (validate(text, l, &v) >= 0) {
                        fprintf(stderr, "not ok - the validator accepts the first %zu of %zu bytes\n", l, len);
                        return -EBADMSG;
                }
        printf("ok - the validator rejects each of the %zu proper prefixes of a valid file\n", len);
        return 0;
}

static int write_in_place(const char *path, const char *text) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        size_t half = strlen(text) / 2;

        if (fd < 0)
                return -errno;
        if (write(fd, text, half) != (ssize_t) half || write(fd, text + half, strlen(text + half)) < 0)
                return -EIO;
        return 0;
}

static int read_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        return read_fd_max(fd, 1024 * 1024, ret, ret_len);
}

/* The reader: parses the file until done_fd reads EOF; exit 0 when every read was valid. */
static int reader(const char *path, int done_fd, unsigned n) {
        unsigned reads = 0, bad = 0, versions = 0, missing = 0;
        uint64_t last = 0;

        for (;;) {
                struct pollfd pfd = { .fd = done_fd, .events = POLLIN };
                _cleanup_free_ char *text = NULL;
                bool done = poll(&pfd, 1, 0) > 0;
                uint64_t v = 0;
                size_t len = 0;
                int r = read_file(path, &text, &len);

                if (r == -ENOENT)
                        missing++;
                else if (r < 0) {
                        fprintf(stderr, "read %s: %s\n", path, strerror(-r));
                        return 1;
                } else {
                        reads++;
                        if (validate(text, len, &v) < 0) {
                                if (bad++ < 3)
                                        fprintf(stderr, "not ok - read %u: %zu bytes, not a whole file\n", reads, len);
                        } else if (v != last) {
                                if (v < last)
                                        fprintf(stderr, "note: version %" PRIu64 " after %" PRIu64 "\n", v, last);
                                versions++;
                                last = v;
                        }
                }
                if (done)
                        break;
        }
        printf("%s - %u reads, %u distinct versions of %u seen, %u invalid (last version %" PRIu64 ")\n",
               bad == 0 && versions > 1 && last == n ? "ok" : "not ok", reads, versions, n, bad, last);
        if (missing > 0)
                printf("# %u reads before the first version existed\n", missing);
        return bad == 0 && versions > 1 && last == n ? 0 : 1;
}

int main(int argc, char *argv[]) {
        _cleanup_free_ char *path = NULL;
        unsigned n = argc > 2 ? (unsigned) atoi(argv[2]) : 1000;
        bool in_place = argc > 3 && streq(argv[3], "--in-place");
        int done[2], status;
        pid_t pid;

        if (argc < 2 || n < 2 || (argc > 3 && !in_place)) {
                fprintf(stderr, "usage: metrics-race DIR [N>=2] [--in-place]\n");
                return 2;
        }
        if (self_check() < 0)
                return 1;
        fflush(stdout);
        if (asprintf(&path, "%s" TEXTFILE, argv[1]) < 0 || pipe2(done, O_CLOEXEC) < 0)
                return 1;
        pid = fork();
        if (pid < 0)
                return 1;
        if (pid == 0) {
                int r;

                close(done[1]);
                r = reader(path, done[0], n);
                fflush(stdout);
                _exit(r);
        }
        close(done[0]);
        for (unsigned i = 1; i <= n; i++) {
                _cleanup_free_ char *text = NULL;
                int r = make_version(i, &text);

                if (r >= 0)
                        r = in_place ? write_in_place(path, text) : metrics_write_textfile(argv[1], TEXTFILE, text);
                if (r < 0) {
                        fprintf(stderr, "write %u: %s\n", i, strerror(-r));
                        (void) kill(pid, SIGKILL);
                        return 1;
                }
        }
        printf("ok - %u rewrites %s\n", n, in_place ? "in place" : "through metrics_write_textfile()");
        close(done[1]);
        if (waitpid(pid, &status, 0) < 0)
                return 1;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
