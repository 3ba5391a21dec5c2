/* proc.c — who a process is, across hosts and reboots: (host, boot id, pid, start time).
 *
 * A pid alone names nothing once its process ended: the kernel reuses it, and after a reboot every pid
 * means something else. The boot id (/proc/sys/kernel/random/boot_id) changes at every boot and the start
 * time (field 22 of /proc/PID/stat, clock ticks since boot) changes when a pid is reused, so the pair
 * tells "still that process" from "a stranger with its number". Runs record their worker's identity and
 * steps their process group leader's; nothing is signalled unless the identity still matches. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "exec_int.h"

/* Reads a small file into buf (NUL-terminated, trailing newline dropped); false when it cannot. */
static bool read_small(const char *path, char *buf, size_t n) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t k = read(fd, buf, n - 1);
  close(fd);
  if (k <= 0) return false;
  buf[k] = 0;
  if (buf[k - 1] == '\n') buf[k - 1] = 0;
  return true;
}

const char *floe_proc_boot_id(void) {
  static char boot[64];
  if (!boot[0] && !read_small("/proc/sys/kernel/random/boot_id", boot, sizeof boot)) boot[0] = 0;
  return boot[0] ? boot : NULL;
}

int64_t floe_proc_start_ticks(int pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  if (!read_small(path, buf, sizeof buf)) return 0;
  /* field 2 (comm) is in parentheses and may hold spaces: count fields after its closing paren */
  const char *p = strrchr(buf, ')');
  if (!p) return 0;
  p++;
  for (int field = 3; field < 22 && *p; field++) {
    while (*p == ' ') p++;
    while (*p && *p != ' ') p++;
  }
  while (*p == ' ') p++;
  return strtoll(p, NULL, 10);
}

int floe_proc_self(floe_arena *a, int pid, bool with_host, floe_proc_id *out) {
  memset(out, 0, sizeof *out);
  out->pid = pid;
  out->boot_id = floe_proc_boot_id();
  out->start_ticks = floe_proc_start_ticks(pid);
  if (with_host) {
    char host[256];
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = 0;
    out->host = floe_arena_strdup(a, host);
    if (!out->host) return FLOE_ENOMEM;
  }
  return 0;
}

bool floe_proc_is(const floe_proc_id *id) {
  if (!id || id->pid <= 0 || !id->boot_id || !id->start_ticks) return false;
  const char *boot = floe_proc_boot_id();
  if (!boot || strcmp(boot, id->boot_id)) return false; /* another host, or this one rebooted */
  return floe_proc_start_ticks(id->pid) == id->start_ticks;
}

int floe_proc_signal_group(const floe_proc_id *leader, int sig) {
  if (!leader || leader->pid <= 0 || !leader->boot_id || !leader->start_ticks) return ESRCH;
  const char *boot = floe_proc_boot_id();
  if (!boot || strcmp(boot, leader->boot_id)) return ESRCH; /* another host, or a reboot since */
  int64_t now = floe_proc_start_ticks(leader->pid);
  /* The leader itself, or no process with its pid at all: Linux never hands out a pid that still names a
   * process group, so the group with that id can only be the step's survivors. A different start time
   * means the pid now belongs to a stranger: leave it alone. */
  if (now != 0 && now != leader->start_ticks) return ESRCH;
  return killpg(leader->pid, sig) == 0 ? 0 : errno;
}
