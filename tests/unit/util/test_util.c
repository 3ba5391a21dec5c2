#include "test.h"
#include "floe/util.h"
int main(void) {
  floe_map m = {0};
  floe_arena a;
  floe_arena_init(&a, 0);
  char *keys[1000];
  for (int i = 0; i < 1000; i++) {
    keys[i] = floe_arena_printf(&a, "k%d", i);
    CHECK(floe_map_put(&m, keys[i], keys[i]) == 0);
  }
  for (int i = 0; i < 1000; i++) CHECK(floe_map_get(&m, keys[i]) == keys[i]);
  CHECK(!floe_map_has(&m, "nope"));
  CHECK(m.len == 1000);
  floe_buf b;
  floe_buf_init(&b, 16);
  CHECK(floe_buf_puts(&b, "0123456789") == 0);
  CHECK(floe_buf_puts(&b, "0123456789") != 0); /* hard cap */
  floe_buf_free(&b);
  floe_buf_init(&b, 0);
  CHECK(floe_buf_json_str(&b, "a\"b\n") == 0);
  CHECK_STR(floe_buf_str(&b), "\"a\\\"b\\n\"");
  floe_buf_free(&b);
  CHECK(floe_edit_distance("selection", "selectoin", 3) == 2);
  int64_t t;
  CHECK(floe_time_parse("2026-01-02T03:04:05Z", &t) == 0 && t == 1767323045000000LL);
  CHECK(floe_time_parse("garbage", &t) != 0);
  char id[33];
  floe_random_id(id);
  CHECK(strlen(id) == 32);
  floe_map_free(&m);
  floe_arena_free(&a);
  TEST_MAIN_END();
}
