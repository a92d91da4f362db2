/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "strv.h"
#include "sys/fileio.h"
#include "sys/unitfiles.h"

const char *const unit_search_dirs[] = {
        "/etc/systemd/system.control",
        "/run/systemd/system.control",
        "/run/systemd/transient",
        "/run/systemd/generator.early",
        "/etc/systemd/system",
        "/etc/systemd/system.attached",
        "/run/systemd/system",
        "/run/systemd/system.attached",
        "/run/systemd/generator",
        "/usr/local/lib/systemd/system",
        "/usr/lib/systemd/system",
        "/lib/systemd/system", /* a symlink to usr/lib on merged-/usr systems: then refused, no loss */
        "/run/systemd/generator.late",
        NULL,
};

/* The directories whose links pull a unit in at boot. */
static const char *const enablement_suffixes[] = { ".wants", ".requires", ".upholds" };

void unit_install_done(UnitInstall *i) {
        strv_free(i->wanted_by);
        strv_free(i->required_by);
        strv_free(i->upheld_by);
        strv_free(i->alias);
        strv_free(i->also);
        *i = (UnitInstall){};
}

/* A name we may use as a path component: no slashes, no specifiers we would have to expand. */
static bool plain_unit_name(const char *s) {
        return !isempty(s) && s[0] != '.' && strlen(s) <= 255 && !strpbrk(s, "/%") && strchr(s, '.');
}

static int install_assign(UnitInstall *i, const char *key, const char *value) {
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                { "WantedBy", offsetof(UnitInstall, wanted_by) }, { "RequiredBy", offsetof(UnitInstall, required_by) },
                { "UpheldBy", offsetof(UnitInstall, upheld_by) }, { "Alias", offsetof(UnitInstall, alias) },
                { "Also", offsetof(UnitInstall, also) },
        };
        _cleanup_strv_free_ char **words = NULL;
        char ***l = NULL;
        int r;

        for (size_t k = 0; k < ELEMENTSOF(keys); k++)
                if (streq(key, keys[k].key))
                        l = (char ***) ((char *) i + keys[k].offset);
        if (!l)
                return 0; /* DefaultInstance= and whatever a newer systemd adds */
        r = strv_split(value, " \t", &words);
        if (r < 0)
                return r;
        if (strv_isempty(words)) {
                *l = strv_free(*l); /* "WantedBy=" resets the list */
                return 0;
        }
        STRV_FOREACH (w, words)
                if (plain_unit_name(*w) && !strv_contains(*l, *w)) {
                        r = strv_extend(l, *w);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static char *strip(char *s) {
        char *e;

        s += strspn(s, " \t\r");
        e = s + strlen(s);
        while (e > s && strchr(" \t\r", e[-1]))
                *--e = 0;
        return s;
}

int unit_text_foreach(const char *text, UnitAssignFn fn, void *userdata) {
        _cleanup_free_ char *copy = NULL, *pending = NULL, *section = NULL;
        char *save = NULL;
        int r;

        copy = strdup(text);
        if (!copy)
                return -ENOMEM;
        for (char *raw = strtok_r(copy, "\n", &save); raw; raw = strtok_r(NULL, "\n", &save)) {
                _cleanup_free_ char *full = NULL;
                char *line = strip(raw), *eq;

                if (pending) {
                        /* the rest of "WantedBy=a \" */
                        if (asprintf(&full, "%s %s", pending, line) < 0)
                                return -ENOMEM;
                        free(pending);
                        pending = NULL;
                        line = full;
                } else if (*line == '#' || *line == ';' || *line == 0)
                        continue;
                if (endswith(line, "\\")) {
                        pending = strndup(line, strlen(line) - 1);
                        if (!pending)
                                return -ENOMEM;
                        continue;
                }
                if (*line == '[') {
                        char *close = strchr(line, ']');

                        free(section);
                        section = close ? strndup(line + 1, (size_t) (close - line - 1)) : strdup("");
                        if (!section)
                                return -ENOMEM;
                } else if (section && (eq = strchr(line, '='))) {
                        *eq = 0;
                        r = fn(section, strip(line), strip(eq + 1), userdata);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int install_line(const char *section, const char *key, const char *value, void *userdata) {
        return streq(section, "Install") ? install_assign(userdata, key, value) : 0;
}

int unit_install_parse(const char *text, UnitInstall *ret) {
        _cleanup_(unit_install_done) UnitInstall i = {};
        int r;

        r = unit_text_foreach(text, install_line, &i);
        if (r < 0)
                return r;
        *ret = i;
        i = (UnitInstall){};
        return 0;
}

typedef struct ListAssign {
        const char *section;
        const char *key;
        char ***list;
} ListAssign;

static int list_line(const char *section, const char *key, const char *value, void *userdata) {
        ListAssign *a = userdata;

        if (!streq(section, a->section) || !streq(key, a->key))
                return 0;
        if (isempty(value)) {
                *a->list = strv_free(*a->list);
                return 0;
        }
        return strv_extend(a->list, value);
}

int unit_list_apply(const char *text, const char *section, const char *key, char ***list) {
        return unit_text_foreach(text, list_line, &(ListAssign){ .section = section, .key = key, .list = list });
}

static int join_dir(const char *dir, const char *name, char **ret) {
        return asprintf(ret, "%s/%s", dir, name) < 0 ? -ENOMEM : 0;
}

/* Is path below root a symlink to /dev/null? */
static bool is_mask_link(const char *root, const char *path) {
        _cleanup_free_ char *target = NULL;
        struct stat st;

        if (lstat_at_root(root, path, &st) < 0 || !S_ISLNK(st.st_mode))
                return false;
        return readlink_at_root(root, path, &target) >= 0 && streq(target, "/dev/null");
}

/* Reads a unit file below root. A symlink (an alias or a linked unit) is followed once, by hand,
 * so that it cannot lead out of the root. */
static int read_unit_text(const char *root, const char *dir, const char *path, char **ret) {
        _cleanup_free_ char *target = NULL, *resolved = NULL;
        int r;

        r = read_file_at_root(root, path, true, READ_FILE_MAX, ret, NULL);
        if (r != -ELOOP)
                return r;
        r = readlink_at_root(root, path, &target);
        if (r < 0)
                return r;
        if (strstr(target, ".."))
                return -ELOOP;
        if (target[0] == '/')
                resolved = strdup(target);
        else if (join_dir(dir, target, &resolved) < 0)
                resolved = NULL;
        if (!resolved)
                return -ENOMEM;
        return read_file_at_root(root, resolved, true, READ_FILE_MAX, ret, NULL);
}

int unit_file_find(const char *root, const char *unit, char **ret_path, UnitInstall *ret_install) {
        _cleanup_free_ char *first = NULL;
        _cleanup_(unit_install_done) UnitInstall install = {};
        int r;

        if (!plain_unit_name(unit))
                return -EINVAL;
        for (size_t d = 0; unit_search_dirs[d]; d++) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                struct stat st;

                r = join_dir(unit_search_dirs[d], unit, &path);
                if (r < 0)
                        return r;
                r = lstat_at_root(root, path, &st);
                if (r < 0)
                        continue; /* missing, or a directory on the way is missing or a symlink */
                if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
                        continue;
                if (!first)
                        first = strdup(path);
                if (!first)
                        return -ENOMEM;
                if (is_mask_link(root, path))
                        continue; /* the file behind the mask still says how it was enabled */
                r = read_unit_text(root, unit_search_dirs[d], path, &text);
                if (r < 0)
                        continue; /* a dangling link: nothing to learn from it */
                r = unit_install_parse(text, &install);
                if (r < 0)
                        return r;
                break;
        }
        if (!first)
                return -ENOENT;
        if (ret_path)
                *ret_path = TAKE_PTR(first);
        if (ret_install) {
                *ret_install = install;
                install = (UnitInstall){};
        }
        return 0;
}

/* The .conf files of dir (below root); a name already in names (from a directory that comes first)
 * is hidden by it. */
static int dropins_in_dir(const char *root, const char *dir, char ***names, char ***paths) {
        _cleanup_close_ int fd = -EBADF;
        struct dirent *de;
        DIR *d;
        int r = 0;

        fd = open_dir_at_root(root, dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd == -ENOMEM ? fd : 0; /* missing, or not a directory we may follow */
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || !endswith(de->d_name, ".conf") || strv_contains(*names, de->d_name))
                        continue;
                r = strv_extend(names, de->d_name);
                if (r >= 0)
                        r = strv_extendf(paths, "%s/%s", dir, de->d_name);
                if (r < 0)
                        break;
        }
        closedir(d);
        return r;
}

static int cmp_basename(const void *a, const void *b) {
        const char *x = *(char *const *) a, *y = *(char *const *) b;

        return strcmp(strrchr(x, '/') + 1, strrchr(y, '/') + 1);
}

int unit_file_dropins(const char *root, const char *unit, char ***ret) {
        _cleanup_strv_free_ char **names = NULL, **paths = NULL, **found = NULL;
        _cleanup_free_ char *type_dir = NULL;
        const char *dot;
        int r;

        if (!plain_unit_name(unit))
                return -EINVAL;
        dot = strrchr(unit, '.');
        /* "socket.d/" applies to every socket unit, "ssh.socket.d/" to this one */
        if (asprintf(&type_dir, "%s.d", dot + 1) < 0)
                return -ENOMEM;
        for (size_t d = 0; unit_search_dirs[d]; d++) {
                _cleanup_free_ char *own = NULL, *all = NULL;

                if (asprintf(&own, "%s/%s.d", unit_search_dirs[d], unit) < 0 ||
                    asprintf(&all, "%s/%s", unit_search_dirs[d], type_dir) < 0)
                        return -ENOMEM;
                r = dropins_in_dir(root, own, &names, &paths);
                if (r >= 0)
                        r = dropins_in_dir(root, all, &names, &paths);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH (p, paths)
                if (!is_mask_link(root, *p) && (r = strv_extend(&found, *p)) < 0)
                        return r;
        if (found)
                qsort(found, strv_length(found), sizeof(char *), cmp_basename);
        *ret = TAKE_PTR(found);
        return 0;
}

int unit_file_read(const char *root, const char *path, char **ret) {
        _cleanup_free_ char *dir = NULL;
        const char *slash = strrchr(path, '/');

        if (!slash || slash == path)
                return -EINVAL;
        dir = strndup(path, (size_t) (slash - path));
        if (!dir)
                return -ENOMEM;
        return read_unit_text(root, dir, path, ret);
}

static bool is_enablement_dir(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(enablement_suffixes); i++)
                if (endswith(name, enablement_suffixes[i]) && strlen(name) > strlen(enablement_suffixes[i]))
                        return true;
        return false;
}

/* Finds (and with remove, removes) the links named unit in UNIT_CONFIG_DIR/<x>.wants/ and the
 * like. Returns the number found. */
static int enablement_links(const char *root, const char *unit, bool remove, char ***changes) {
        _cleanup_close_ int fd = -EBADF;
        struct dirent *de;
        DIR *d;
        int r = 0, n = 0;

        fd = open_dir_at_root(root, UNIT_CONFIG_DIR, O_RDONLY | O_DIRECTORY); /* O_RDONLY alone is 0: O_PATH */
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);
        while ((de = readdir(d))) {
                _cleanup_close_ int sub = -EBADF;
                struct stat st;

                if (de->d_name[0] == '.' || !is_enablement_dir(de->d_name))
                        continue;
                sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0)
                        continue; /* a symlink or a file, not a directory of links */
                if (fstatat(sub, unit, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
                        continue;
                n++;
                if (!remove)
                        continue;
                if (unlinkat(sub, unit, 0) < 0) {
                        r = -errno;
                        break;
                }
                (void) fsync(sub);
                r = strv_extendf(changes, "removed %s/%s/%s", UNIT_CONFIG_DIR, de->d_name, unit);
                if (r < 0)
                        break;
        }
        closedir(d);
        return r < 0 ? r : n;
}

/* Alias= links of unit in UNIT_CONFIG_DIR: symlinks named after the alias that lead to the unit. */
static int alias_links(const char *root, const char *unit, char **aliases, bool remove, char ***changes) {
        int n = 0, r;

        STRV_FOREACH (a, aliases) {
                _cleanup_free_ char *path = NULL, *target = NULL;
                const char *base;
                struct stat st;

                if (streq(*a, unit))
                        continue;
                r = join_dir(UNIT_CONFIG_DIR, *a, &path);
                if (r < 0)
                        return r;
                if (lstat_at_root(root, path, &st) < 0 || !S_ISLNK(st.st_mode) ||
                    readlink_at_root(root, path, &target) < 0)
                        continue;
                base = strrchr(target, '/');
                if (!streq(base ? base + 1 : target, unit))
                        continue; /* someone else's link (or a mask of the alias): not ours */
                n++;
                if (!remove)
                        continue;
                r = unlink_at_root(root, path);
                if (r < 0)
                        return r;
                r = strv_extendf(changes, "removed %s", path);
                if (r < 0)
                        return r;
        }
        return n;
}

static int disk_get_state(void *userdata, const char *unit, UnitState *ret, char **ret_error) {
        const char *root = userdata;
        _cleanup_(unit_install_done) UnitInstall install = {};
        _cleanup_free_ char *mask_path = NULL;
        UnitState s = {};
        int r, links, aliases;

        r = unit_file_find(root, unit, NULL, &install);
        if (r == -ENOENT) {
                s.file_state = strdup("not-found");
                if (!s.file_state)
                        return -ENOMEM;
                *ret = s;
                return 0;
        }
        if (r < 0)
                return r;
        r = join_dir(UNIT_CONFIG_DIR, unit, &mask_path);
        if (r < 0)
                return r;
        links = enablement_links(root, unit, false, NULL);
        if (links < 0)
                return links;
        aliases = alias_links(root, unit, install.alias, false, NULL);
        if (aliases < 0)
                return aliases;

        s.found = true;
        s.masked = is_mask_link(root, mask_path);
        s.enabled = links + aliases > 0;
        s.file_state = strdup(s.masked    ? "masked"
                              : s.enabled ? "enabled"
                              : strv_isempty(install.wanted_by) && strv_isempty(install.required_by) &&
                                              strv_isempty(install.upheld_by) && strv_isempty(install.alias)
                                      ? "static"
                                      : "disabled");
        if (!s.file_state)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int disk_disable(void *userdata, const char *unit, char ***changes, char **ret_error) {
        const char *root = userdata;
        _cleanup_(unit_install_done) UnitInstall install = {};
        int r;

        r = unit_file_find(root, unit, NULL, &install);
        if (r < 0 && r != -ENOENT)
                return r;
        r = enablement_links(root, unit, true, changes);
        if (r < 0)
                return r;
        r = alias_links(root, unit, install.alias, true, changes);
        return r < 0 ? r : 0;
}

/* Creates a directory that is missing; one that exists is left as it is. */
static int make_dir_if_missing(const char *root, const char *path) {
        struct stat st;
        int r = lstat_at_root(root, path, &st);

        if (r == -ENOENT)
                return ensure_dir_at_root(root, path, 0755, UID_KEEP, GID_KEEP);
        if (r >= 0 && !S_ISDIR(st.st_mode))
                return -ENOTDIR;
        return r;
}

static int disk_mask(void *userdata, const char *unit, char ***changes, char **ret_error) {
        const char *root = userdata;
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r;

        r = join_dir(UNIT_CONFIG_DIR, unit, &path);
        if (r < 0)
                return r;
        if (is_mask_link(root, path))
                return 0;
        r = lstat_at_root(root, path, &st);
        if (r >= 0) {
                /* like systemctl mask without --force: a unit file of the admin's own stays */
                if (ret_error && asprintf(ret_error, "%s exists and is not a mask; not replaced", path) < 0)
                        *ret_error = NULL;
                return -EEXIST;
        }
        if (r != -ENOENT)
                return r;
        r = make_dir_if_missing(root, "/etc");
        if (r >= 0)
                r = make_dir_if_missing(root, "/etc/systemd");
        if (r >= 0)
                r = make_dir_if_missing(root, UNIT_CONFIG_DIR);
        if (r < 0)
                return r;
        r = symlink_atomic_at_root(root, "/dev/null", path);
        if (r < 0)
                return r;
        return strv_extendf(changes, "created symlink %s -> /dev/null", path);
}

const UnitOps unit_ops_disk = {
        .name = "unit files",
        .get_state = disk_get_state,
        .disable = disk_disable,
        .mask = disk_mask,
};
