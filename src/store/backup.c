/*
** backup.c: copies of a live database, and the keeping of a directory of
** them (store_backup, store_backup_prune).
**
** A copy is SQLite's `VACUUM INTO`, run on a read-only connection of its
** own: one read transaction, so the copy is the database as of one commit
** while the server goes on writing beside it (WAL), and compact. SQLite
** neither syncs that file nor guards it against a crash halfway, so the copy
** is written under a temporary name, checked (`PRAGMA integrity_check` on
** the copy, not the source), fsynced, and only then given its name; the
** directory is fsynced after. A backup that failed or was cut short leaves
** no file under the name, only a `.partial` that the next run replaces.
** The source is never changed: no migration is applied to it (a backup of
** an older database is a copy of that older database).
*/
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Name of a backup made into a directory: its UTC time to the second, so
** names sort as times and a glance tells when. */
#define BACKUP_PREFIX "ruralink-"
#define BACKUP_SUFFIX ".db"

static bool is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int fsync_path(const char *path, int flags, struct err *e)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return err_set(e, ERR_IO, "cannot open %s to sync it: %s", path, strerror(errno));
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0)
        return err_set(e, ERR_IO, "cannot sync %s: %s", path, strerror(saved));
    return 0;
}

/* The directory part of path ("." when none), into buf. */
static const char *dir_of(const char *path, char *buf, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ".";
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    if (len >= n)
        len = n - 1;
    memcpy(buf, path, len);
    buf[len] = '\0';
    return buf;
}

static int one_text(sqlite3 *db, const char *sql, char *out, size_t n, struct err *e)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        rc = store__db_err(db, rc, sql, e);
        sqlite3_finalize(s);
        return rc;
    }
    const char *t = (const char *)sqlite3_column_text(s, 0);
    snprintf(out, n, "%s", t ? t : "");
    sqlite3_finalize(s);
    return 0;
}

static int one_i64(sqlite3 *db, const char *sql, int64_t *out, struct err *e)
{
    char buf[32];
    int rc = one_text(db, sql, buf, sizeof buf, e);
    if (!rc)
        *out = strtoll(buf, NULL, 10);
    return rc;
}

/* The source, read-only: refused when missing (nothing is created) or when
** it holds no schema_migrations (not a ruralink database). */
static int open_source(const char *path, sqlite3 **out, struct err *e)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return err_set(e, ERR_NOTFOUND, "%s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return err_set(e, ERR_INVAL, "%s is not a database file", path);
    /* Read-write without CREATE: a read-only connection cannot remove the
    ** -wal and -shm files it makes on a closed database, and a closed
    ** database should stay as it was found. Nothing here writes to it (and
    ** query_only would refuse VACUUM INTO). */
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err_set(e, ERR_IO, "cannot open %s: %s", path,
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return ERR_IO;
    }
    sqlite3_extended_result_codes(db, 1);
    /* The server's checkpoints hold the WAL briefly; wait for them. */
    sqlite3_busy_timeout(db, 10000);
    int64_t n = 0;
    rc = one_i64(db,
                 "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                 " AND name = 'schema_migrations'",
                 &n, e);
    if (rc && (sqlite3_extended_errcode(db) & 0xff) == SQLITE_NOTADB)
        rc = err_set(e, ERR_INVAL, "%s is not a SQLite database", path);
    if (!rc && n == 0)
        rc = err_set(e, ERR_INVAL, "%s is not a ruralink database (no schema_migrations)", path);
    if (rc) {
        if (rc == ERR_DB)
            err_prefix(e, "%s: ", path);
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

/* The copy at tmp, checked and described into info. */
static int check_copy(const char *tmp, struct store_backup_info *info, struct err *e)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err_set(e, ERR_IO, "cannot open the copy %s: %s", tmp,
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return ERR_IO;
    }
    char verdict[256];
    rc = one_text(db, "PRAGMA integrity_check", verdict, sizeof verdict, e);
    if (!rc && strcmp(verdict, "ok") != 0)
        rc = err_set(e, ERR_DB, "the copy failed its integrity check: %s", verdict);
    int64_t pages = 0, page_size = 0;
    if (!rc)
        rc = one_i64(db, "PRAGMA page_count", &pages, e);
    if (!rc)
        rc = one_i64(db, "PRAGMA page_size", &page_size, e);
    if (!rc)
        rc = one_i64(db, "SELECT count(*) FROM schema_migrations", &info->migrations, e);
    if (!rc)
        rc = one_i64(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", &info->tables,
                     e);
    info->bytes = pages * page_size;
    sqlite3_close(db);
    return rc;
}

/* Where a backup to out goes: out itself, or a timestamped name inside it
** when it is a directory. */
static int target_path(const char *out, int64_t now_ms, char *buf, size_t n, struct err *e)
{
    if (!is_dir(out)) {
        if (snprintf(buf, n, "%s", out) >= (int)n)
            return err_set(e, ERR_TOOBIG, "backup path too long");
        return 0;
    }
    time_t secs = (time_t)(now_ms / 1000);
    struct tm tm;
    char compact[24];
    if (!gmtime_r(&secs, &tm) || strftime(compact, sizeof compact, "%Y%m%dT%H%M%SZ", &tm) == 0)
        return err_set(e, ERR_INTERNAL, "cannot format the backup's time");
    size_t len = strlen(out);
    const char *sep = len && out[len - 1] == '/' ? "" : "/";
    if (snprintf(buf, n, "%s%s" BACKUP_PREFIX "%s" BACKUP_SUFFIX, out, sep, compact) >= (int)n)
        return err_set(e, ERR_TOOBIG, "backup path too long");
    return 0;
}

int store_backup(const char *db_path, const char *out, bool replace, struct store_backup_info *info,
                 struct err *e)
{
    memset(info, 0, sizeof *info);
    int64_t t0 = time_mono_ns();
    int rc = target_path(out, time_now_ms(), info->path, sizeof info->path, e);
    if (rc)
        return rc;
    struct stat sb;
    if (!replace && lstat(info->path, &sb) == 0)
        return err_set(e, ERR_EXISTS,
                       "%s already exists (a backup is never overwritten unless asked)",
                       info->path);
    char tmp[PATH_MAX + 16];
    if (snprintf(tmp, sizeof tmp, "%s.partial", info->path) >= (int)sizeof tmp)
        return err_set(e, ERR_TOOBIG, "backup path too long");
    /* A .partial is what an interrupted run left: never a good copy. */
    if (unlink(tmp) != 0 && errno != ENOENT)
        return err_set(e, ERR_IO, "cannot remove %s: %s", tmp, strerror(errno));

    sqlite3 *src = NULL;
    if ((rc = open_source(db_path, &src, e)))
        return rc;
    sqlite3_stmt *s = NULL;
    int src_rc = sqlite3_prepare_v2(src, "VACUUM INTO ?", -1, &s, NULL);
    if (src_rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, tmp, -1, SQLITE_STATIC);
        src_rc = sqlite3_step(s);
    }
    if (src_rc != SQLITE_DONE)
        rc = store__db_err(src, src_rc, "", e);
    sqlite3_finalize(s);
    sqlite3_close(src);
    if (rc) {
        err_prefix(e, "copying %s to %s: ", db_path, tmp);
        unlink(tmp);
        return rc == ERR_EXISTS ? ERR_DB : rc;
    }
    char dbuf[PATH_MAX];
    if ((rc = check_copy(tmp, info, e)) || (rc = fsync_path(tmp, O_RDONLY, e))) {
        unlink(tmp);
        return rc;
    }
    if (replace) {
        if (rename(tmp, info->path) != 0)
            rc = err_set(e, ERR_IO, "cannot rename %s to %s: %s", tmp, info->path, strerror(errno));
    } else if (link(tmp, info->path) != 0) {
        /* link, not rename: it refuses a name that appeared meanwhile */
        rc = err_set(e, errno == EEXIST ? ERR_EXISTS : ERR_IO, "cannot name the backup %s: %s",
                     info->path, strerror(errno));
    } else {
        unlink(tmp);
    }
    if (rc) {
        unlink(tmp);
        return rc;
    }
    if ((rc = fsync_path(dir_of(info->path, dbuf, sizeof dbuf), O_RDONLY | O_DIRECTORY, e)))
        return rc;
    info->duration_ms = (time_mono_ns() - t0) / 1000000;
    return 0;
}

static bool is_backup_name(const char *name)
{
    size_t n = strlen(name), p = strlen(BACKUP_PREFIX), s = strlen(BACKUP_SUFFIX);
    if (n != p + 16 + s || strncmp(name, BACKUP_PREFIX, p) != 0 ||
        strcmp(name + n - s, BACKUP_SUFFIX) != 0)
        return false;
    /* 20261130T033539Z */
    const char *t = name + p;
    for (int i = 0; i < 16; i++) {
        bool ok = i == 8 ? t[i] == 'T' : i == 15 ? t[i] == 'Z' : t[i] >= '0' && t[i] <= '9';
        if (!ok)
            return false;
    }
    return true;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_backup_prune(const char *dir, int keep, int *deleted, struct err *e)
{
    *deleted = 0;
    if (keep < 1)
        return err_set(e, ERR_INVAL, "keep at least one backup (asked for %d)", keep);
    DIR *d = opendir(dir);
    if (!d)
        return err_set(e, ERR_IO, "cannot read %s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_backup_name(de->d_name))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    int rc = 0;
    size_t len = strlen(dir);
    const char *sep = len && dir[len - 1] == '/' ? "" : "/";
    /* Names sort as times: the oldest come first. */
    for (size_t i = 0; i + (size_t)keep < n && !rc; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s%s%s", dir, sep, names[i]);
        if (unlink(path) != 0)
            rc = err_set(e, ERR_IO, "cannot remove the old backup %s: %s", path, strerror(errno));
        else
            (*deleted)++;
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}
