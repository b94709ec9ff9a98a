#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "csystem.h"

static int closed_std_fds = 0;

// Runs before main and before the Swift runtime and Dispatch open anything: a standard descriptor
// closed by the caller (`>&-`) would otherwise be reused by the next open (Dispatch's eventfd), and
// "standard output" would write into it. Each closed one is filled with /dev/null and remembered.
__attribute__((constructor)) static void rb_fill_closed_std_fds(void) {
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
            int null = open("/dev/null", O_RDWR);
            if (null >= 0 && null != fd) {
                dup2(null, fd);
                close(null);
            }
            closed_std_fds |= 1 << fd;
        }
    }
}

int rb_closed_std_fds(void) { return closed_std_fds; }
