/* test_os.c — util/os.c against a real file system in a temp dir: atomic writes, modes, directory trees,
 * path containment and the confined unlink maintenance relies on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "floe/util.h"
#include "test.h"

static char dir[256];

static char *at(const char *rel) {
  static char bufs[8][512];
  static int k;
  char *b = bufs[k++ % 8];
  snprintf(b, 512, "%s/%s", dir, rel);
  return b;
}

static void put(const char *path, const char *text) {
  floe_err err = {0};
  CHECK(floe_file_write_atomic(path, text, strlen(text), 0, &err) == 0);
}

static int mode_of(const char *path) {
  struct stat st;
  return lstat(path, &st) ? -1 : (int)(st.st_mode & 0777);
}

static void test_files(void) {
  floe_err err = {0};
  char *text = NULL;
  size_t n = 0;
  CHECK(floe_mkdirs(at("a/b/c"), 0700, &err) == 0);
  CHECK(floe_mkdirs(at("a/b/c"), 0700, &err) == 0); /* exists: fine */
  CHECK(floe_is_dir(at("a/b/c")));
  CHECK(mode_of(at("a/b")) == 0700);
  put(at("a/f.txt"), "one");
  CHECK(mode_of(at("a/f.txt")) == 0600); /* mode 0 = private */
  put(at("a/f.txt"), "two"); /* replaced whole */
  CHECK(floe_file_read(at("a/f.txt"), &text, &n, &err) == 0);
  CHECK(n == 3 && text && !strcmp(text, "two"));
  floe_free(text);
  CHECK(floe_file_read(at("a/missing"), &text, &n, &err) == FLOE_ENOTFOUND);
  CHECK(floe_file_write_atomic(at("nodir/x"), "x", 1, 0, &err) == FLOE_EIO);
  /* file_create: makes an empty private file, never truncates one */
  CHECK(floe_file_create(at("a/db"), 0600, &err) == 0);
  CHECK(mode_of(at("a/db")) == 0600);
  CHECK(floe_file_create(at("a/f.txt"), 0600, &err) == 0);
  CHECK(floe_file_read(at("a/f.txt"), &text, &n, &err) == 0 && n == 3);
  floe_free(text);
  CHECK(floe_file_create(at("nodir/db"), 0600, &err) == FLOE_EIO);
  /* rmtree: a tree, a missing path, a symlink (removed, its target kept) */
  put(at("a/b/c/deep"), "d");
  CHECK(symlink(at("a/f.txt"), at("a/b/link")) == 0);
  CHECK(floe_rmtree(at("a/b")) == 0);
  CHECK(!floe_path_exists(at("a/b")));
  CHECK(floe_path_exists(at("a/f.txt")));
  CHECK(floe_rmtree(at("a/b")) == 0);
}

static void test_paths(void) {
  CHECK(floe_path_under("/w/lake", "/w/lake"));
  CHECK(floe_path_under("/w/lake", "/w/lake/oso/t"));
  CHECK(floe_path_under("/w/lake/", "/w/lake/x"));
  CHECK(!floe_path_under("/w/lake", "/w/lakehouse/x"));
  CHECK(!floe_path_under("/w/lake", "/w"));
  CHECK(floe_path_under("/", "/anything"));
  char out[512];
  floe_err err = {0};
  CHECK(floe_mkdirs(at("real/sub"), 0700, &err) == 0);
  CHECK(symlink(at("real"), at("via")) == 0);
  CHECK(floe_path_resolve_parent(at("via/sub/../x.parquet"), out, sizeof out) == 0);
  CHECK_STR(out, at("real/x.parquet"));
  CHECK(floe_path_resolve_parent("relative/x", out, sizeof out) == -1);
  CHECK(floe_path_resolve_parent(at("real/.."), out, sizeof out) == -1);
  CHECK(floe_path_resolve_parent(at("nowhere/x"), out, sizeof out) == -1 && errno == ENOENT);
}

static void test_unlink_under(void) {
  floe_err err = {0};
  char root[512];
  CHECK(floe_mkdirs(at("lake/t/data"), 0700, &err) == 0);
  CHECK(floe_mkdirs(at("outside"), 0700, &err) == 0);
  CHECK(realpath(at("lake"), root) != NULL);
  put(at("lake/t/data/own.parquet"), "x");
  put(at("outside/victim"), "x");
  CHECK(floe_unlink_under(root, at("lake/t/data/own.parquet"), &err) == 0);
  CHECK(!floe_path_exists(at("lake/t/data/own.parquet")));
  CHECK(floe_unlink_under(root, at("lake/t/data/own.parquet"), &err) == FLOE_ENOTFOUND);
  /* outside, by name, by "..", through a symlinked directory, as a symlink to a file */
  CHECK(floe_unlink_under(root, at("outside/victim"), &err) == FLOE_EINPUT);
  CHECK(floe_unlink_under(root, at("lake/t/../../outside/victim"), &err) == FLOE_EINPUT);
  CHECK(symlink(at("outside"), at("lake/t/escape")) == 0);
  CHECK(floe_unlink_under(root, at("lake/t/escape/victim"), &err) == FLOE_EINPUT);
  CHECK(symlink(at("outside/victim"), at("lake/t/data/link.parquet")) == 0);
  CHECK(floe_unlink_under(root, at("lake/t/data/link.parquet"), &err) == FLOE_EINPUT);
  CHECK(floe_path_exists(at("outside/victim")));
  /* relative paths, other schemes, directories, the root itself */
  CHECK(floe_unlink_under(root, "t/data/x.parquet", &err) == FLOE_EINPUT);
  CHECK(floe_unlink_under(root, "s3://bucket/x.parquet", &err) == FLOE_EINPUT);
  CHECK(floe_unlink_under(root, at("lake/t/data"), &err) == FLOE_EINPUT);
  CHECK(floe_is_dir(at("lake/t/data")));
  CHECK(floe_unlink_under(root, root, &err) == FLOE_EINPUT);
}

static void test_umask(void) {
  unsigned before = floe_umask_private();
  CHECK(floe_umask_private() == before); /* later calls change nothing */
  floe_err err = {0};
  CHECK(floe_mkdirs(at("private/d"), 0777, &err) == 0);
  CHECK(mode_of(at("private/d")) == 0700);
  FILE *f = fopen(at("private/d/f"), "w"); /* as any library would create a file */
  CHECK(f != NULL);
  if (f) fclose(f);
  CHECK(mode_of(at("private/d/f")) == 0600);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/floe-os-unit.XXXXXX");
  if (!mkdtemp(dir)) return 1;
  umask(022);
  test_files();
  test_paths();
  test_unlink_under();
  test_umask();
  if (!test_failures) floe_rmtree(dir);
  TEST_MAIN_END();
}
