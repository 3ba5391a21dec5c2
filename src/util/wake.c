/* wake.c — wake-up datagrams: how a writer tells the daemon "something changed, look now" without the daemon
 * polling. The daemon binds a Unix datagram socket at a path (beside the instance database); any process pokes
 * it with one byte after committing a change. A poke is a hint, never data: losing one only delays the daemon
 * until its slow fallback poll, and a burst of pokes coalesces into one wake-up.
 *
 * sockaddr_un holds 108 bytes; a longer path is reached through the socket's directory opened O_PATH and
 * named /proc/self/fd/N/NAME, so an instance in a deep directory still works. Hand-written: a few system
 * calls, no library does less. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "floe/util.h"

/* Fills sa for path; *dirfd >= 0 when a directory descriptor was opened for the long form (caller closes). */
static int wake_addr(const char *path, struct sockaddr_un *sa, int *dirfd) {
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  *dirfd = -1;
  if (strlen(path) < sizeof sa->sun_path) {
    memcpy(sa->sun_path, path, strlen(path) + 1);
    return 0;
  }
  const char *slash = strrchr(path, '/');
  if (!slash || strlen(slash + 1) > 64) return -1;
  char dir[4096];
  size_t dl = (size_t)(slash - path);
  if (dl == 0 || dl >= sizeof dir) return -1;
  memcpy(dir, path, dl);
  dir[dl] = 0;
  *dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*dirfd < 0) return -1;
  snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/%s", *dirfd, slash + 1);
  return 0;
}

int floe_wake_bind(const char *path, int *fd_out, floe_err *err) {
  *fd_out = -1;
  struct sockaddr_un sa;
  int dirfd;
  if (wake_addr(path, &sa, &dirfd)) return floe_err_set(err, FLOE_EIO, "wake-up socket %s: path unusable", path);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int rc = 0;
  if (fd < 0) rc = floe_err_set(err, FLOE_EIO, "wake-up socket: %s", strerror(errno));
  if (!rc) {
    unlink(path); /* a socket file left by a daemon that died: the caller holds the daemon lease */
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
      rc = floe_err_set(err, FLOE_EIO, "wake-up socket %s: %s", path, strerror(errno));
      close(fd);
    } else {
      *fd_out = fd;
    }
  }
  if (dirfd >= 0) close(dirfd);
  return rc;
}

void floe_wake_send(const char *path) {
  struct sockaddr_un sa;
  int dirfd;
  if (!path || wake_addr(path, &sa, &dirfd)) return;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    /* no daemon (ENOENT, ECONNREFUSED) or its queue is full (EAGAIN: it has wake-ups pending anyway) */
    if (sendto(fd, "!", 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof sa) < 0) {
    }
    close(fd);
  }
  if (dirfd >= 0) close(dirfd);
}

int floe_wake_drain(int fd) {
  char buf[64];
  int n = 0;
  while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) >= 0) n++;
  return n;
}
