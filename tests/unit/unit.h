/* cell unit tests: a tiny harness. Each test-*.c defines tests with TEST(name) and lists them in main() with
 * RUN(name); the binary prints one line per test and a summary "N passed, N failed". */
#ifndef CELL_TESTS_UNIT_H
#define CELL_TESTS_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failed_ = 0, unit_passed_ = 0, unit_cur_failed_ = 0;

#define TEST(name) static void test_##name (void)
#define CHECK(cond)                                                                                               \
  do                                                                                                              \
    {                                                                                                             \
      if (!(cond))                                                                                                \
        {                                                                                                         \
          fprintf (stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                             \
          unit_cur_failed_ = 1;                                                                                   \
          return;                                                                                                 \
        }                                                                                                         \
    }                                                                                                             \
  while (0)
#define CHECK_STR(a, b)                                                                                           \
  do                                                                                                              \
    {                                                                                                             \
      const char *a_ = (a), *b_ = (b);                                                                            \
      if (a_ == NULL || b_ == NULL || strcmp (a_, b_) != 0)                                                       \
        {                                                                                                         \
          fprintf (stderr, "  %s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__, b_ ? b_ : "(null)",    \
                   a_ ? a_ : "(null)");                                                                           \
          unit_cur_failed_ = 1;                                                                                   \
          return;                                                                                                 \
        }                                                                                                         \
    }                                                                                                             \
  while (0)
#define RUN(name)                                                                                                 \
  do                                                                                                              \
    {                                                                                                             \
      unit_cur_failed_ = 0;                                                                                       \
      test_##name ();                                                                                             \
      printf ("%s %s\n", unit_cur_failed_ ? "FAIL" : "ok  ", #name);                                              \
      if (unit_cur_failed_)                                                                                       \
        unit_failed_++;                                                                                           \
      else                                                                                                        \
        unit_passed_++;                                                                                           \
    }                                                                                                             \
  while (0)
#define UNIT_END()                                                                                                \
  do                                                                                                              \
    {                                                                                                             \
      printf ("%d passed, %d failed\n", unit_passed_, unit_failed_);                                              \
      return unit_failed_ ? 1 : 0;                                                                                \
    }                                                                                                             \
  while (0)

#endif
