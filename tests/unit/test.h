/* test.h — a tiny unit-test harness: each test binary is one process run by tests/run.sh with a timeout. */
#ifndef FLOE_TEST_H
#define FLOE_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;
#define CHECK(cond)                                                                                                    \
  do {                                                                                                                 \
    if (!(cond)) {                                                                                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                                         \
      test_failures++;                                                                                                 \
    }                                                                                                                  \
  } while (0)
#define CHECK_STR(a, b)                                                                                                \
  do {                                                                                                                 \
    const char *a_ = (a), *b_ = (b);                                                                                   \
    if (!a_ || !b_ || strcmp(a_, b_)) {                                                                                \
      fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__, b_ ? b_ : "(null)",                  \
              a_ ? a_ : "(null)");                                                                                     \
      test_failures++;                                                                                                 \
    }                                                                                                                  \
  } while (0)
#define CHECK_CONTAINS(hay, needle)                                                                                    \
  do {                                                                                                                 \
    const char *h_ = (hay), *n_ = (needle);                                                                            \
    if (!h_ || !strstr(h_, n_)) {                                                                                      \
      fprintf(stderr, "%s:%d: expected to find \"%s\" in \"%s\"\n", __FILE__, __LINE__, n_, h_ ? h_ : "(null)");       \
      test_failures++;                                                                                                 \
    }                                                                                                                  \
  } while (0)
#define TEST_MAIN_END()                                                                                                \
  do {                                                                                                                 \
    if (test_failures) fprintf(stderr, "%d check(s) failed\n", test_failures);                                         \
    return test_failures ? 1 : 0;                                                                                      \
  } while (0)
#endif
