/* base/log.c: cell_rfc3339_utc computes the civil date itself (no zoneinfo read); it must agree with gmtime_r
 * and strftime everywhere, leap days and century years included. */
#include "base/log.h"
#include "unit.h"

#include <time.h>

static void
expected (char *buf, size_t size, time_t t, long nsec)
{
  struct tm tm;
  gmtime_r (&t, &tm);
  size_t n = strftime (buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, size - n, ".%09ldZ", nsec);
}

TEST (rfc3339_known)
{
  char buf[CELL_RFC3339_LEN];
  struct timespec ts = { 0, 0 };
  cell_rfc3339_utc (buf, &ts);
  CHECK_STR (buf, "1970-01-01T00:00:00.000000000Z");
  ts = (struct timespec){ 951825600, 123456789 }; /* a leap day in a year divisible by 400 */
  cell_rfc3339_utc (buf, &ts);
  CHECK_STR (buf, "2000-02-29T12:00:00.123456789Z");
  ts = (struct timespec){ 4107542399, 999999999 }; /* 2100 is not a leap year */
  cell_rfc3339_utc (buf, &ts);
  CHECK_STR (buf, "2100-02-28T23:59:59.999999999Z");
}

TEST (rfc3339_matches_gmtime)
{
  char got[CELL_RFC3339_LEN], want[64];
  /* Every ~9.7 hours from 1900 to 2400, and around every day boundary of a few leap years. */
  for (long long t = -2208988800LL; t < 13569465600LL; t += 34999)
    {
      struct timespec ts = { (time_t) t, 42 };
      cell_rfc3339_utc (got, &ts);
      expected (want, sizeof want, (time_t) t, 42);
      CHECK_STR (got, want);
    }
  for (long long t = 946684800LL - 86400; t < 946684800LL + 400 * 86400LL; t += 3599)
    {
      struct timespec ts = { (time_t) t, 7 };
      cell_rfc3339_utc (got, &ts);
      expected (want, sizeof want, (time_t) t, 7);
      CHECK_STR (got, want);
    }
}

int
main (void)
{
  RUN (rfc3339_known);
  RUN (rfc3339_matches_gmtime);
  UNIT_END ();
}
