// libcurl by dlopen, not by linking: linked, it and its dependencies (GnuTLS, Kerberos, LDAP, SASL,
// p11-kit, ~25 libraries, 4 MB of resident memory) load into every run. No curl headers are
// needed: the option numbers below are libcurl's stable ABI (curl.h, unchanged since 7.x).
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "csystem.h"

enum {
    OPT_WRITEDATA = 10001, OPT_URL = 10002, OPT_ERRORBUFFER = 10010, OPT_WRITEFUNCTION = 20011, OPT_HTTPHEADER = 10023,
    OPT_CUSTOMREQUEST = 10036, OPT_NOBODY = 44, OPT_NOSIGNAL = 99, OPT_ACCEPT_ENCODING = 10102, OPT_TIMEOUT_MS = 155,
    OPT_CONNECTTIMEOUT_MS = 156, OPT_NOPROXY = 10177, OPT_PROTOCOLS = 181, OPT_HEADERFUNCTION = 20079, OPT_HEADERDATA = 10029,
    OPT_NOPROGRESS = 43, OPT_XFERINFOFUNCTION = 20219, OPT_XFERINFODATA = 10057,
    INFO_RESPONSE_CODE = 0x200002,
    PROTO_HTTP_HTTPS = 1 | 2, GLOBAL_DEFAULT = 3, E_WRITE_ERROR = 23,
};

struct slist;
static struct {
    void *(*init)(void);
    int (*setopt)(void *, int, ...);
    int (*perform)(void *);
    int (*getinfo)(void *, int, ...);
    void (*cleanup)(void *);
    const char *(*strerror)(int);
    struct slist *(*slist_append)(struct slist *, const char *);
    void (*slist_free_all)(struct slist *);
    int (*global_init)(long);
    int loaded;
    char why[200];
} curl;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    const char *names[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl-nss.so.4", "libcurl.so"};
    void *lib = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names && !lib; i++) lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(curl.why, sizeof curl.why, "libcurl.so.4 is missing on this machine (install libcurl4)");
        return;
    }
#define SYMBOL(field, name) *(void **)(&curl.field) = dlsym(lib, name)
    SYMBOL(init, "curl_easy_init");
    SYMBOL(setopt, "curl_easy_setopt");
    SYMBOL(perform, "curl_easy_perform");
    SYMBOL(getinfo, "curl_easy_getinfo");
    SYMBOL(cleanup, "curl_easy_cleanup");
    SYMBOL(strerror, "curl_easy_strerror");
    SYMBOL(slist_append, "curl_slist_append");
    SYMBOL(slist_free_all, "curl_slist_free_all");
    SYMBOL(global_init, "curl_global_init");
#undef SYMBOL
    if (!curl.init || !curl.setopt || !curl.perform || !curl.getinfo || !curl.cleanup || !curl.strerror || !curl.slist_append ||
        !curl.slist_free_all || !curl.global_init || curl.global_init(GLOBAL_DEFAULT) != 0) {
        snprintf(curl.why, sizeof curl.why, "this machine's libcurl could not be initialized");
        return;
    }
    curl.loaded = 1;
}

struct sink {
    rb_http_answer *answer;
    size_t max;
    int full;
};

// The Location header as the server sent it: through a tunnel, curl would resolve a relative one
// against the tunnel's local end instead of the URL the check names.
static size_t header(char *data, size_t size, size_t count, void *context) {
    rb_http_answer *answer = context;
    size_t length = size * count;
    if (length >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        free(answer->location);
        answer->location = NULL;
    } else if (length > 9 && strncasecmp(data, "location:", 9) == 0) {
        size_t start = 9, end = length;
        while (start < end && (data[start] == ' ' || data[start] == '\t')) start++;
        while (end > start && (data[end - 1] == '\r' || data[end - 1] == '\n' || data[end - 1] == ' ')) end--;
        free(answer->location);
        answer->location = strndup(data + start, end - start);
    }
    return length;
}

static size_t keep(char *data, size_t size, size_t count, void *context) {
    struct sink *sink = context;
    size_t length = size * count, room = sink->max - sink->answer->body_length;
    if (length > room) {
        // The rest is not read: a check needs the first bytes, and an endless body must not hold it.
        length = room;
        sink->full = 1;
    }
    if (length > 0) {
        char *grown = realloc(sink->answer->body, sink->answer->body_length + length);
        if (!grown) return 0;
        memcpy(grown + sink->answer->body_length, data, length);
        sink->answer->body = grown;
        sink->answer->body_length += length;
    }
    return sink->full ? 0 : size * count;
}

// libcurl calls it at least once a second, also while connecting: a cancelled check ends within it.
static int progress(void *context, long long total, long long now, long long up_total, long long up_now) {
    (void)total, (void)now, (void)up_total, (void)up_now;
    return __atomic_load_n((const int *)context, __ATOMIC_RELAXED) != 0;
}

int rb_http_request(const char *url, const char *method, const char *host_header, long timeout_ms, size_t max_body,
                    const int *cancelled, rb_http_answer *answer) {
    memset(answer, 0, sizeof *answer);
    pthread_once(&once, load);
    if (!curl.loaded) {
        snprintf(answer->error, sizeof answer->error, "%s", curl.why);
        return -1;
    }
    void *handle = curl.init();
    if (!handle) {
        snprintf(answer->error, sizeof answer->error, "libcurl could not start a request");
        return -1;
    }
    char reason[256] = {0};
    struct sink sink = {answer, max_body, 0};
    struct slist *headers = NULL;
    char line[1100];
    if (host_header && snprintf(line, sizeof line, "Host: %s", host_header) < (int)sizeof line) headers = curl.slist_append(NULL, line);
    curl.setopt(handle, OPT_URL, url);
    curl.setopt(handle, OPT_PROTOCOLS, (long)PROTO_HTTP_HTTPS);
    curl.setopt(handle, OPT_NOSIGNAL, 1L);
    curl.setopt(handle, OPT_NOPROXY, "*");
    curl.setopt(handle, OPT_ACCEPT_ENCODING, "");
    curl.setopt(handle, OPT_TIMEOUT_MS, timeout_ms);
    curl.setopt(handle, OPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl.setopt(handle, OPT_ERRORBUFFER, reason);
    curl.setopt(handle, OPT_WRITEFUNCTION, keep);
    curl.setopt(handle, OPT_WRITEDATA, &sink);
    curl.setopt(handle, OPT_HEADERFUNCTION, header);
    curl.setopt(handle, OPT_HEADERDATA, answer);
    curl.setopt(handle, OPT_NOPROGRESS, 0L);
    curl.setopt(handle, OPT_XFERINFOFUNCTION, progress);
    curl.setopt(handle, OPT_XFERINFODATA, cancelled);
    if (headers) curl.setopt(handle, OPT_HTTPHEADER, headers);
    // HEAD as a custom method would wait for a body that never comes.
    if (strcmp(method, "HEAD") == 0) curl.setopt(handle, OPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0) curl.setopt(handle, OPT_CUSTOMREQUEST, method);
    int code = curl.perform(handle);
    if (code == E_WRITE_ERROR && sink.full) code = 0;
    if (code == 0) {
        curl.getinfo(handle, INFO_RESPONSE_CODE, &answer->status);
    } else {
        snprintf(answer->error, sizeof answer->error, "%s", reason[0] ? reason : curl.strerror(code));
    }
    if (headers) curl.slist_free_all(headers);
    curl.cleanup(handle);
    return code;
}

void rb_http_cancel(int *flag) { __atomic_store_n(flag, 1, __ATOMIC_RELAXED); }

void rb_http_free(rb_http_answer *answer) {
    free(answer->body);
    free(answer->location);
    answer->body = NULL;
    answer->location = NULL;
}
