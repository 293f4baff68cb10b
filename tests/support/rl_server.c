/*
** rl_server.c: starts `ruralink serve` for API tests and talks to it with
** libcurl (see rl_server.h). Readiness is a poll of the server's stdout for
** its "serving on" line (the port, since it listens on port 0) and then of
** GET /api/v1/health, each bounded by a deadline: no fixed sleeps.
*/
#include "rl_server.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RL_BIN
#define RL_BIN "ruralink"
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int ts_shf(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= sizeof cmd ? -1 : ts_sh(cmd);
}

int ts_put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int rc = fputs(text, f) < 0 ? -1 : 0;
    return fclose(f) != 0 ? -1 : rc;
}

int ts_sh(const char *cmd)
{
    int st = system(cmd);
    if (st == -1)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void print_log_tail(const struct ts_server *s)
{
    FILE *f = fopen(s->err_path, "r");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, n > 4000 ? n - 4000 : 0, SEEK_SET);
    char buf[4096];
    size_t r = fread(buf, 1, sizeof buf - 1, f);
    buf[r] = '\0';
    fclose(f);
    fprintf(stderr, "--- server log (tail) ---\n%s-------------------------\n", buf);
}

/* The port from "serving on http://HOST:PORT/" in the server's stdout. */
static int read_port(const struct ts_server *s)
{
    FILE *f = fopen(s->out_path, "r");
    if (!f)
        return 0;
    char line[512];
    int port = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = strstr(line, "serving on ");
        if (!p)
            continue;
        p = strstr(p, "://");
        if (!p)
            continue;
        char *slash = strchr(p + 3, '/');
        if (!slash)
            continue;
        *slash = '\0';
        char *colon = strrchr(p + 3, ':');
        if (colon)
            port = (int)strtol(colon + 1, NULL, 10);
        break;
    }
    fclose(f);
    return port;
}

int ts_start(struct ts_server *s, const struct ts_opts *o)
{
    static const struct ts_opts none;
    if (!o)
        o = &none;
    memset(s, 0, sizeof *s);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s/rl-api-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s->dir)) {
        fprintf(stderr, "ts_start: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    if (o->db)
        snprintf(s->db, sizeof s->db, "%s", o->db);
    else
        snprintf(s->db, sizeof s->db, "%s/test.db", s->dir);
    snprintf(s->out_path, sizeof s->out_path, "%s/stdout.txt", s->dir);
    snprintf(s->err_path, sizeof s->err_path, "%s/stderr.txt", s->dir);
    s->tls = o->tls_cert != NULL;

    const char *argv[40];
    int n = 0;
    char maxb[32];
    argv[n++] = RL_BIN;
    argv[n++] = "serve";
    argv[n++] = "--db";
    argv[n++] = s->db;
    argv[n++] = "--listen";
    argv[n++] = "127.0.0.1:0";
    argv[n++] = "--threads";
    argv[n++] = "2";
    argv[n++] = "--log-level";
    argv[n++] = o->log_level ? o->log_level : "info";
    if (o->demo)
        argv[n++] = "--demo";
    if (o->web_root) {
        argv[n++] = "--web-root";
        argv[n++] = o->web_root;
    }
    if (o->tls_cert) {
        argv[n++] = "--tls-cert";
        argv[n++] = o->tls_cert;
        argv[n++] = "--tls-key";
        argv[n++] = o->tls_key;
    }
    if (o->max_body > 0) {
        snprintf(maxb, sizeof maxb, "%ld", o->max_body);
        argv[n++] = "--max-body";
        argv[n++] = maxb;
    }
    for (int i = 0; i < 8 && o->extra[i]; i++)
        argv[n++] = o->extra[i];
    argv[n] = NULL;

    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* The server goes when the test process does, even if a failed
        ** assertion jumped past the ts_stop that would have stopped it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() == 1)
            _exit(127); /* the test process is already gone */
        int fo = open(s->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(s->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0)
            _exit(127);
        dup2(fo, 1);
        dup2(fe, 2);
        close(fo);
        close(fe);
        execv(RL_BIN, (char *const *)argv);
        _exit(127);
    }
    s->pid = pid;
    double deadline = now_s() + 60.0; /* --demo hashes 7 passwords first */
    while (now_s() < deadline) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            fprintf(stderr, "ts_start: server exited early (status %d)\n",
                    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
            s->pid = 0;
            print_log_tail(s);
            ts_cleanup(s);
            return -1;
        }
        s->port = read_port(s);
        if (s->port)
            break;
        nap_ms(10);
    }
    if (!s->port) {
        fprintf(stderr, "ts_start: no 'serving on' line from the server\n");
        print_log_tail(s);
        ts_stop(s);
        return -1;
    }
    snprintf(s->base, sizeof s->base, "%s://127.0.0.1:%d", s->tls ? "https" : "http", s->port);
    while (now_s() < deadline) {
        struct ts_resp r;
        if (ts_get(s, "/api/v1/health", NULL, &r) == 0 && r.status == 200) {
            ts_resp_free(&r);
            return 0;
        }
        ts_resp_free(&r);
        nap_ms(10);
    }
    fprintf(stderr, "ts_start: /api/v1/health did not answer 200\n");
    print_log_tail(s);
    ts_stop(s);
    return -1;
}

static int reap(struct ts_server *s, int sig)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, sig);
    int st = 0;
    /* Bounded wait: SIGKILL the server if it does not stop within 30 s. */
    double deadline = now_s() + 30.0;
    int rc = -1;
    for (;;) {
        pid_t w = waitpid(s->pid, &st, WNOHANG);
        if (w == s->pid) {
            rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            break;
        }
        if (w < 0)
            break;
        if (now_s() > deadline) {
            fprintf(stderr, "ts: server did not stop; killing it\n");
            print_log_tail(s);
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &st, 0);
            rc = 128 + SIGKILL;
            break;
        }
        nap_ms(5);
    }
    s->pid = 0;
    return rc;
}

void ts_cleanup(struct ts_server *s)
{
    if (s->curl) {
        curl_easy_cleanup(s->curl);
        s->curl = NULL;
    }
    const char *keep = getenv("RL_KEEP_TMP");
    if ((keep && strcmp(keep, "1") == 0) || !s->dir[0])
        return;
    DIR *d = opendir(s->dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char p[600];
            snprintf(p, sizeof p, "%s/%s", s->dir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(s->dir);
    s->dir[0] = '\0';
}

void ts_cleanup_client(struct ts_server *s)
{
    if (s->curl) {
        curl_easy_cleanup(s->curl);
        s->curl = NULL;
    }
}

int ts_stop(struct ts_server *s)
{
    int rc = reap(s, SIGTERM);
    ts_cleanup(s);
    return rc;
}

void ts_kill(struct ts_server *s)
{
    reap(s, SIGKILL);
    if (s->curl) {
        curl_easy_cleanup(s->curl);
        s->curl = NULL;
    }
}

/* ---------------------------------------------------------------- client */

struct buf {
    char *p;
    size_t n;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct buf *b = ud;
    size_t add = size * nmemb;
    char *np = realloc(b->p, b->n + add + 1);
    if (!np)
        return 0;
    b->p = np;
    memcpy(b->p + b->n, ptr, add);
    b->n += add;
    b->p[b->n] = '\0';
    return add;
}

int ts_request(struct ts_server *s, const char *method, const char *path, const char *token,
               const char *content_type, const void *body, size_t body_len,
               const char *const *headers, struct ts_resp *out)
{
    memset(out, 0, sizeof *out);
    if (!s->curl)
        s->curl = curl_easy_init();
    CURL *c = s->curl;
    curl_easy_reset(c);
    char url[1024];
    snprintf(url, sizeof url, "%s%s", s->base, path);
    struct buf bb = {NULL, 0}, hb = {NULL, 0};
    struct curl_slist *hl = NULL;
    char line[1024];
    if (token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", token);
        hl = curl_slist_append(hl, line);
    }
    if (content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", content_type);
        hl = curl_slist_append(hl, line);
    }
    hl = curl_slist_append(hl, "Expect:");
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); /* send ../ as written */
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (s->tls) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hl);
    out->body = bb.p ? bb.p : calloc(1, 1);
    out->body_len = bb.n;
    out->headers = hb.p ? hb.p : calloc(1, 1);
    if (rc != CURLE_OK) {
        fprintf(stderr, "ts_request %s %s: %s\n", method, path, curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &out->new_connections);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    if (ct)
        snprintf(out->content_type, sizeof out->content_type, "%s", ct);
    if (out->body_len && (strstr(out->content_type, "json") != NULL))
        out->json = json_tokener_parse(out->body);
    return 0;
}

int ts_get(struct ts_server *s, const char *path, const char *token, struct ts_resp *out)
{
    return ts_request(s, "GET", path, token, NULL, NULL, 0, NULL, out);
}

int ts_post_json(struct ts_server *s, const char *method, const char *path, const char *token,
                 const char *json, struct ts_resp *out)
{
    return ts_request(s, method, path, token, json ? "application/json" : NULL, json,
                      json ? strlen(json) : 0, NULL, out);
}

void ts_resp_free(struct ts_resp *r)
{
    free(r->body);
    free(r->headers);
    if (r->json)
        json_object_put(r->json);
    memset(r, 0, sizeof *r);
}

bool ts_resp_header(const struct ts_resp *r, const char *name, char *buf, size_t size)
{
    size_t nlen = strlen(name);
    const char *p = r->headers;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            while (*v == ' ')
                v++;
            size_t vlen = (size_t)(p + len - v);
            while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
                vlen--;
            snprintf(buf, size, "%.*s", (int)vlen, v);
            return true;
        }
        p = eol ? eol + 1 : NULL;
    }
    return false;
}

int ts_login(struct ts_server *s, const char *name, const char *password, char *tok, size_t size)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(name));
    json_object_object_add(o, "password", json_object_new_string(password));
    struct ts_resp r;
    int rc = ts_post_json(s, "POST", "/api/v1/auth/login", NULL, json_object_to_json_string(o), &r);
    json_object_put(o);
    if (rc != 0) {
        ts_resp_free(&r);
        return -1;
    }
    int status = (int)r.status;
    struct json_object *t = NULL;
    if (status == 200 && r.json && json_object_object_get_ex(r.json, "token", &t)) {
        snprintf(tok, size, "%s", json_object_get_string(t));
        ts_resp_free(&r);
        return 0;
    }
    ts_resp_free(&r);
    return status ? status : -1;
}

int ts_add_user(struct ts_server *s, long county_id, const char *name, const char *role,
                const char *password)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "printf '%%s' '%s' | '%s' user add --db '%s' --county %ld --name '%s' "
             "--role '%s' --password-stdin >/dev/null 2>&1",
             password, RL_BIN, s->db, county_id, name, role);
    return ts_sh(cmd);
}
