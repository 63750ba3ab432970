/* fsync_fail.c - LD_PRELOAD shim that makes the durability calls fail.
 *
 * While the file named by FSYNC_FAIL_TRIGGER exists, fsync(2),
 * fdatasync(2) and syncfs(2) return -1 with errno EIO (what a dying disk or
 * a lost NFS/iSCSI path gives); otherwise they pass through. The e2e tests
 * build it with `cc -shared -fPIC` and start the gateway with it, to check
 * that a failed sync never becomes a 250 reply.
 *
 * Must never change anything but those three calls' results.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int failing(void) {
  const char* trigger = getenv("FSYNC_FAIL_TRIGGER");
  return trigger != NULL && *trigger != '\0' && access(trigger, F_OK) == 0;
}

#define PASS_OR_FAIL(name, fd)                                  \
  do {                                                          \
    static int (*real)(int);                                    \
    if (failing()) {                                            \
      errno = EIO;                                              \
      return -1;                                                \
    }                                                           \
    if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, name); \
    return real(fd);                                            \
  } while (0)

int fsync(int fd) { PASS_OR_FAIL("fsync", fd); }
int fdatasync(int fd) { PASS_OR_FAIL("fdatasync", fd); }
int syncfs(int fd) { PASS_OR_FAIL("syncfs", fd); }
