/*
** rl_server.h: test support for API tests: run the real `ruralink serve`
** binary (RL_BIN) on an ephemeral port with a database in a fresh temporary
** folder, talk HTTP(S) to it with libcurl, and stop or kill it.
**
**   struct ts_server s;
**   struct ts_opts o = {.demo = true};
**   assert_int_equal(ts_start(&s, &o), 0);      // waits until /api/v1/health answers
**   struct ts_resp r;
**   ts_get(&s, "/api/v1/health", NULL, &r);     // r.status, r.json (parsed), r.body
**   ts_resp_free(&r);
**   char tok[128]; ts_login(&s, "admin", "ruralink-demo", tok, sizeof tok);
**   ts_stop(&s);                                // SIGTERM; returns the exit status
**
** One struct ts_server keeps one curl handle, so consecutive requests reuse
** the connection (keep-alive) unless ts_opts.fresh_connections is set. Files
** (database, server stdout/stderr) live in s.dir, removed by ts_stop unless
** the environment has RL_KEEP_TMP=1. The server's stderr (its log) is in
** s.err_path for tests that check log lines.
*/
#ifndef RL_TEST_SERVER_H
#define RL_TEST_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct json_object;

struct ts_opts {
    bool demo;            /* --demo */
    const char *db;       /* reuse this database file (restart tests); NULL = new */
    const char *web_root; /* --web-root */
    const char *tls_cert; /* --tls-cert / --tls-key: talk HTTPS (no verification) */
    const char *tls_key;
    long max_body;         /* --max-body when > 0 */
    const char *log_level; /* default "info" */
    const char *extra[8];  /* more arguments, NULL-terminated */
};

struct ts_server {
    pid_t pid;
    int port;
    bool tls;
    char dir[256]; /* temporary folder */
    char db[320];
    char out_path[320]; /* server stdout */
    char err_path[320]; /* server stderr (the log) */
    char base[96];      /* "http://127.0.0.1:PORT" */
    void *curl;         /* CURL *, reused for keep-alive */
    bool own_db_dir;
};

struct ts_resp {
    long status;
    char *body; /* NUL-terminated, malloc'd */
    size_t body_len;
    struct json_object *json; /* parsed body when it is JSON, else NULL */
    char content_type[128];
    char *headers;        /* raw response headers, malloc'd */
    long new_connections; /* connections curl opened for this request */
};

/* Start the server and wait (up to 60 s) until GET /api/v1/health is 200.
** 0 on success, -1 with a message on stderr (server log tail included). */
int ts_start(struct ts_server *s, const struct ts_opts *o);
/* SIGTERM, wait for exit; returns the exit status (or 128+signal), and
** removes the temporary folder. */
int ts_stop(struct ts_server *s);
/* SIGKILL, wait; keeps the folder and the database (for a restart with
** ts_opts.db = s->db), then call ts_cleanup. */
void ts_kill(struct ts_server *s);
void ts_cleanup(struct ts_server *s);
/* Free only the curl handle of a copy of a ts_server (client threads that
** share one server each copy the struct and set .curl = NULL). */
void ts_cleanup_client(struct ts_server *s);

/* One request. token (bearer) and content_type may be NULL; headers is a
** NULL-terminated list of "Name: value" lines or NULL. 0 when an answer
** arrived (any status), -1 on a transport error. Free with ts_resp_free. */
int ts_request(struct ts_server *s, const char *method, const char *path, const char *token,
               const char *content_type, const void *body, size_t body_len,
               const char *const *headers, struct ts_resp *out);
int ts_get(struct ts_server *s, const char *path, const char *token, struct ts_resp *out);
int ts_post_json(struct ts_server *s, const char *method, const char *path, const char *token,
                 const char *json, struct ts_resp *out);
void ts_resp_free(struct ts_resp *r);
/* Value of a response header (case-insensitive name) into buf; false when absent. */
bool ts_resp_header(const struct ts_resp *r, const char *name, char *buf, size_t size);

/* POST /api/v1/auth/login; the bearer token into tok. 0, or the HTTP status
** (or -1) on failure. */
int ts_login(struct ts_server *s, const char *name, const char *password, char *tok, size_t size);

/* Create an account in the server's database with `ruralink user add`
** (works while the server runs). 0 on success. */
int ts_add_user(struct ts_server *s, long county_id, const char *name, const char *role,
                const char *password);

/* Run a command line through /bin/sh; returns its exit status (128 + the
** signal when one ended it). ts_shf builds the line printf-style. */
int ts_sh(const char *cmd);
int ts_shf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write text to path (replacing it); 0 on success. */
int ts_put(const char *path, const char *text);

#endif
