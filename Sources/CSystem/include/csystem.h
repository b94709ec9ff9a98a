#ifndef RUNBOOK_CSYSTEM_H
#define RUNBOOK_CSYSTEM_H

// The header names no glibc type: the functions need _GNU_SOURCE, which must not leak into the
// Glibc module Swift builds (fd_set would then differ between modules).

/// posix_spawn_file_actions_addclosefrom_np: closes every descriptor from `low` up in the child.
int rb_spawn_closefrom(void *actions, int low);

/// POSIX_SPAWN_SETSID: the child starts a session (and process group) of its own.
short rb_spawn_setsid_flag(void);

/// The standard descriptors (bit 0: stdin, 1: stdout, 2: stderr) that were closed when the process
/// started; a constructor filled them with /dev/null before anything else could open them.
int rb_closed_std_fds(void);

/// mallopt(M_ARENA_MAX, count): glibc's malloc.h is not part of Swift's Glibc module.
void rb_limit_malloc_arenas(int count);

#include <stddef.h>

/// One answer of rb_http_request: the status (0 when none), the body (malloc'd, at most the
/// request's max_body bytes), the last response's Location header as sent (malloc'd or NULL), and
/// libcurl's reason when there was no answer.
typedef struct rb_http_answer {
    long status;
    char *body;
    size_t body_length;
    char *location;
    char error[256];
} rb_http_answer;

/// One HTTP request through the system's libcurl, loaded on first use: runs without HTTP checks
/// never map curl and its TLS, LDAP and Kerberos libraries. Never follows redirects, never uses a
/// proxy. Returns 0 with an answer (any status), -1 when libcurl cannot be loaded, or curl's
/// error code; `error` says why. Blocks up to timeout_ms, or until *cancelled becomes nonzero.
int rb_http_request(const char *url, const char *method, const char *host_header, long timeout_ms, size_t max_body,
                    const int *cancelled, rb_http_answer *answer);

/// Makes the request waiting on `flag` end (from another thread).
void rb_http_cancel(int *flag);

/// Frees what rb_http_request allocated in the answer.
void rb_http_free(rb_http_answer *answer);

#endif
