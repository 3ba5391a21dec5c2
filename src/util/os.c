/* os.c — files (atomic writes, directory trees, confined deletes, private modes), clocks, random ids, small string helpers. */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "floe/util.h"

int floe_file_read(const char *path, char **out, size_t *len, floe_err *err) {
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return floe_err_set(err, errno == ENOENT ? FLOE_ENOTFOUND : FLOE_EIO, "%s: %s", path, strerror(errno));
  floe_buf b;
  floe_buf_init(&b, 0);
  char tmp[65536];
  for (;;) {
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      floe_buf_free(&b);
      return floe_err_set(err, FLOE_EIO, "%s: %s", path, strerror(e));
    }
    if (n == 0) break;
    if (floe_buf_append(&b, tmp, (size_t)n)) {
      close(fd);
      floe_buf_free(&b);
      return floe_err_set(err, FLOE_ENOMEM, "%s: out of memory", path);
    }
  }
  close(fd);
  if (len) *len = b.len;
  *out = floe_buf_take(&b);
  return *out ? 0 : floe_err_set(err, FLOE_ENOMEM, "out of memory");
}

int floe_file_write_atomic(const char *path, const void *data, size_t len, int mode, floe_err *err) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d.%llx", path, (int)getpid(), (unsigned long long)floe_random_u64());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ? mode : 0600);
  if (fd < 0) return floe_err_set(err, FLOE_EIO, "%s: %s", tmp, strerror(errno));
  const char *p = data;
  size_t left = len;
  while (left) {
    ssize_t n = write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      unlink(tmp);
      return floe_err_set(err, FLOE_EIO, "%s: %s", tmp, strerror(e));
    }
    p += n;
    left -= (size_t)n;
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    int e = errno;
    unlink(tmp);
    return floe_err_set(err, FLOE_EIO, "%s: %s", tmp, strerror(e));
  }
  if (rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    return floe_err_set(err, FLOE_EIO, "rename %s: %s", path, strerror(e));
  }
  return 0;
}

int floe_mkdirs(const char *path, int mode, floe_err *err) {
  char buf[4096];
  size_t n = strlen(path);
  if (n >= sizeof buf) return floe_err_set(err, FLOE_EINPUT, "path too long: %s", path);
  memcpy(buf, path, n + 1);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, mode) != 0 && errno != EEXIST) return floe_err_set(err, FLOE_EIO, "mkdir %s: %s", buf, strerror(errno));
    *p = '/';
  }
  if (mkdir(buf, mode) != 0 && errno != EEXIST) return floe_err_set(err, FLOE_EIO, "mkdir %s: %s", buf, strerror(errno));
  return 0;
}

int floe_file_create(const char *path, int mode, floe_err *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return floe_err_set(err, FLOE_EIO, "%s: %s", path, strerror(errno));
  close(fd);
  return 0;
}

unsigned floe_umask_private(void) {
  static int set;
  static mode_t before;
  if (!set) {
    before = umask(077);
    set = 1;
  }
  return (unsigned)before;
}

bool floe_path_under(const char *root, const char *path) {
  size_t n = strlen(root);
  while (n > 1 && root[n - 1] == '/') n--;
  if (strncmp(root, path, n)) return false;
  return path[n] == 0 || path[n] == '/' || (n == 1 && root[0] == '/');
}

int floe_path_resolve_parent(const char *path, char *out, size_t n) {
  const char *slash = path ? strrchr(path, '/') : NULL;
  if (!path || path[0] != '/' || !slash) {
    errno = EINVAL;
    return -1;
  }
  const char *base = slash + 1;
  if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
    errno = EINVAL;
    return -1;
  }
  char dir[PATH_MAX], real[PATH_MAX];
  size_t dl = (size_t)(slash - path);
  if (dl >= sizeof dir) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(dir, path, dl);
  dir[dl] = 0;
  if (!realpath(dl ? dir : "/", real)) return -1;
  int w = snprintf(out, n, "%s%s%s", real, strcmp(real, "/") ? "/" : "", base);
  if (w < 0 || (size_t)w >= n) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return 0;
}

int floe_unlink_under(const char *root, const char *path, floe_err *err) {
  char res[PATH_MAX];
  if (!path || path[0] != '/')
    return floe_err_set(err, FLOE_EINPUT, "refusing to delete '%s': not an absolute local path", path ? path : "");
  if (floe_path_resolve_parent(path, res, sizeof res)) {
    if (errno == ENOENT) return floe_err_set(err, FLOE_ENOTFOUND, "%s: already gone", path);
    return floe_err_set(err, FLOE_EIO, "%s: %s", path, strerror(errno));
  }
  char *slash = strrchr(res, '/');
  if (!floe_path_under(root, res) || (size_t)(slash - res) < strlen(root))
    return floe_err_set(err, FLOE_EINPUT, "refusing to delete %s: it is outside %s", path, root);
  *slash = 0;
  /* The parent as resolved, opened without following a last-moment symlink; the name is then checked and
   * removed relative to that very directory. */
  int dfd = open(res[0] ? res : "/", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return floe_err_set(err, errno == ENOENT ? FLOE_ENOTFOUND : FLOE_EIO, "%s: %s", res, strerror(errno));
  struct stat st;
  int rc = 0;
  if (fstatat(dfd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) != 0)
    rc = floe_err_set(err, errno == ENOENT ? FLOE_ENOTFOUND : FLOE_EIO, "%s: %s", path, strerror(errno));
  else if (!S_ISREG(st.st_mode))
    rc = floe_err_set(err, FLOE_EINPUT, "refusing to delete %s: not a regular file", path);
  else if (unlinkat(dfd, slash + 1, 0) != 0)
    rc = floe_err_set(err, errno == ENOENT ? FLOE_ENOTFOUND : FLOE_EIO, "%s: %s", path, strerror(errno));
  close(dfd);
  return rc;
}

bool floe_path_exists(const char *path) { return access(path, F_OK) == 0; }

bool floe_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int floe_rmtree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
  if (!S_ISDIR(st.st_mode)) return unlink(path);
  DIR *d = opendir(path);
  if (!d) return -1;
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    if (floe_rmtree(sub)) rc = -1;
  }
  closedir(d);
  if (rmdir(path)) rc = -1;
  return rc;
}

char *floe_path_join(floe_arena *a, const char *x, const char *y) {
  if (!x || !*x || y[0] == '/') return floe_arena_strdup(a, y);
  size_t lx = strlen(x);
  return floe_arena_printf(a, "%s%s%s", x, x[lx - 1] == '/' ? "" : "/", y);
}

const char *floe_self_exe(void) {
  static char path[4096];
  if (!path[0]) {
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n < 0) n = 0;
    path[n] = 0;
  }
  return path;
}

int64_t floe_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t floe_mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void floe_time_iso(int64_t us, char *out, size_t n) {
  time_t s = (time_t)(us / 1000000);
  struct tm tm;
  gmtime_r(&s, &tm);
  snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec, (int)((us / 1000) % 1000));
}

int floe_time_parse(const char *s, int64_t *us_out) {
  char *end;
  long long v = strtoll(s, &end, 10);
  if (end != s && end[0] && !end[1] && strchr("smhdw", end[0])) {
    long long mult = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : end[0] == 'd' ? 86400 : 604800;
    *us_out = floe_now_us() - v * mult * 1000000LL;
    return 0;
  }
  struct tm tm = {0};
  int Y, M, D, h = 0, mi = 0, sec = 0;
  int n = sscanf(s, "%d-%d-%dT%d:%d:%d", &Y, &M, &D, &h, &mi, &sec);
  if (n != 3 && n != 6) n = sscanf(s, "%d-%d-%d %d:%d:%d", &Y, &M, &D, &h, &mi, &sec);
  if (n != 3 && n != 6) return -1;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return -1;
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  *us_out = (int64_t)timegm(&tm) * 1000000;
  return 0;
}

void floe_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

uint64_t floe_random_u64(void) {
  uint64_t v;
  if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) v = (uint64_t)floe_now_us() ^ ((uint64_t)getpid() << 32);
  return v;
}

void floe_random_id(char *out) {
  uint64_t a = floe_random_u64(), b = floe_random_u64();
  snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

void floe_uuid4(char *out) {
  unsigned char r[16];
  uint64_t a = floe_random_u64(), b = floe_random_u64();
  memcpy(r, &a, 8);
  memcpy(r + 8, &b, 8);
  r[6] = (r[6] & 0x0f) | 0x40;
  r[8] = (r[8] & 0x3f) | 0x80;
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
           r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}

bool floe_str_starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }
bool floe_str_ends(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int floe_edit_distance(const char *a, const char *b, int cap) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return cap + 1;
  int prev[65], cur[65];
  for (size_t j = 0; j <= lb; j++) prev[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int c = prev[j - 1] + (a[i - 1] != b[j - 1]);
      if (prev[j] + 1 < c) c = prev[j] + 1;
      if (cur[j - 1] + 1 < c) c = cur[j - 1] + 1;
      cur[j] = c;
    }
    memcpy(prev, cur, sizeof(int) * (lb + 1));
  }
  return prev[lb] > cap ? cap + 1 : prev[lb];
}
