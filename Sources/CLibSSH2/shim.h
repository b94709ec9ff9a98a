#ifndef RUNBOOK_CLIBSSH2_SHIM_H
#define RUNBOOK_CLIBSSH2_SHIM_H
#include <string.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <libssh2_publickey.h>

/* Swift does not import libssh2's function-like macros; these wrap them. */
static inline LIBSSH2_SESSION *rb_session_init(void) { return libssh2_session_init_ex(NULL, NULL, NULL, NULL); }
static inline LIBSSH2_CHANNEL *rb_channel_open_session(LIBSSH2_SESSION *s) {
    return libssh2_channel_open_ex(s, "session", sizeof("session") - 1, LIBSSH2_CHANNEL_WINDOW_DEFAULT, LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0);
}
static inline int rb_channel_exec(LIBSSH2_CHANNEL *c, const char *command, unsigned int length) {
    return libssh2_channel_process_startup(c, "exec", sizeof("exec") - 1, command, length);
}
static inline ssize_t rb_channel_read(LIBSSH2_CHANNEL *c, char *buffer, size_t size) {
    return libssh2_channel_read_ex(c, 0, buffer, size);
}
static inline ssize_t rb_channel_read_stderr(LIBSSH2_CHANNEL *c, char *buffer, size_t size) {
    return libssh2_channel_read_ex(c, SSH_EXTENDED_DATA_STDERR, buffer, size);
}
static inline ssize_t rb_channel_write(LIBSSH2_CHANNEL *c, const char *buffer, size_t size) {
    return libssh2_channel_write_ex(c, 0, buffer, size);
}
static inline int rb_channel_eof_send(LIBSSH2_CHANNEL *c) { return libssh2_channel_send_eof(c); }
static inline LIBSSH2_CHANNEL *rb_channel_direct_tcpip(LIBSSH2_SESSION *s, const char *host, int port) {
    return libssh2_channel_direct_tcpip_ex(s, host, port, "127.0.0.1", 22);
}
static inline int rb_userauth_publickey_fromfile(LIBSSH2_SESSION *s, const char *user, const char *publickey, const char *privatekey, const char *passphrase) {
    return libssh2_userauth_publickey_fromfile_ex(s, user, (unsigned int)strlen(user), publickey, privatekey, passphrase);
}
static inline LIBSSH2_SFTP_HANDLE *rb_sftp_open(LIBSSH2_SFTP *sftp, const char *path, unsigned long flags, long mode) {
    return libssh2_sftp_open_ex(sftp, path, (unsigned int)strlen(path), flags, mode, LIBSSH2_SFTP_OPENFILE);
}
static inline int rb_session_disconnect(LIBSSH2_SESSION *s, const char *reason) {
    return libssh2_session_disconnect_ex(s, SSH_DISCONNECT_BY_APPLICATION, reason, "");
}
static inline int rb_channel_close_free(LIBSSH2_CHANNEL *c) { return libssh2_channel_free(c); }
#endif
