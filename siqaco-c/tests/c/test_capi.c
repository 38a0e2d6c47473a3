/*
 * Tests of libsiqaco through its C header, run by scripts/test-c under valgrind (no leak,
 * no error allowed), including the error paths: NULL arguments, a missing archive, a
 * corrupt file, buffers too small, out-of-range indices, wrong sample types.
 *
 * Usage: test_capi SDS_ROOT CORRUPT_DIR TMP_DIR MSEED_DIR
 *   SDS_ROOT     tests/data/sds-small
 *   CORRUPT_DIR  a directory holding one file that is not miniSEED (layout "files")
 *   TMP_DIR      a writable, empty directory (catalogues, merged and updated archives)
 *   MSEED_DIR    tests/data/mseed (files scanned and merged directly)
 */
#define _DEFAULT_SOURCE /* flock(), to hold an archive's update lock */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "siqaco.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                              \
  do {                                                                           \
    checks++;                                                                    \
    if (!(cond)) {                                                               \
      failures++;                                                                \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
    }                                                                            \
  } while (0)

#define CHECK_STATUS(call, expected)                                             \
  do {                                                                           \
    siqaco_status st_ = (call);                                                  \
    checks++;                                                                    \
    if (st_ != (expected)) {                                                     \
      failures++;                                                                \
      fprintf(stderr, "%s:%d: %s returned %u (%s), expected %u; last error: %s\n", \
              __FILE__, __LINE__, #call, st_, siqaco_status_str(st_),            \
              (unsigned)(expected), last_error());                               \
    }                                                                            \
  } while (0)

static const char *last_error(void) {
  static char buf[2048];
  size_t n = 0;
  if (siqaco_last_error_message(buf, sizeof buf, &n) != SIQACO_STATUS_OK) return "(too long)";
  return buf;
}

static void test_version_and_status(void) {
  CHECK(strcmp(siqaco_version(), SIQACO_VERSION_STRING) == 0);
  CHECK(SIQACO_VERSION_MAJOR == 0);
  CHECK(strcmp(siqaco_status_str(SIQACO_STATUS_OK), "ok") == 0);
  CHECK(strcmp(siqaco_status_str(SIQACO_STATUS_BUFFER_TOO_SMALL), "buffer too small") == 0);
  CHECK(strcmp(siqaco_status_str(12345), "unknown status code") == 0);
  CHECK(SIQACO_STATUS_IO == 1 && SIQACO_STATUS_DATABASE == 9);
  CHECK(SIQACO_STATUS_NETWORK == 10 && SIQACO_STATUS_SOURCE == 11);
  CHECK(strcmp(siqaco_status_str(SIQACO_STATUS_SOURCE), "data source error") == 0);
  CHECK(SIQACO_STATUS_NULL_ARGUMENT == 100 && SIQACO_STATUS_PANIC == 199);
}

/* siqaco_time_format against the C library's gmtime (the oracle for the calendar), for
 * instants before and after 1970, on leap days and at the ends of the int64 range; the
 * parse of each text gives the instant back (inside the parser's years 1678 to 2261); SIQACO_TIME_UNSET, the buffer protocol and a
 * bad text. */
static void test_time_text(void) {
  const int64_t instants[] = {0, -1, 1, 999, 1000, 1500000000123456000LL, -1500000000123456789LL,
                              951782400000000000LL /* 2000-02-29 */, 1199145601970000000LL,
                              -86400000000001LL, INT64_MAX, INT64_MIN + 1};
  for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++) {
    int64_t ns = instants[i];
    int64_t secs = ns / 1000000000LL - (ns % 1000000000LL < 0);
    int64_t frac = ns % 1000000000LL + (ns % 1000000000LL < 0 ? 1000000000LL : 0);
    time_t t = (time_t)secs;
    struct tm tm;
    CHECK(gmtime_r(&t, &tm) != NULL);
    char expected[64];
    if (frac % 1000 == 0)
      snprintf(expected, sizeof expected, "%04d-%02d-%02dT%02d:%02d:%02d.%06" PRId64 "Z",
               tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
               frac / 1000);
    else
      snprintf(expected, sizeof expected, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRId64 "Z",
               tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
               frac);
    char text[SIQACO_TIME_TEXT_CAPACITY];
    size_t n = 0;
    CHECK_STATUS(siqaco_time_format(ns, text, sizeof text, &n), SIQACO_STATUS_OK);
    CHECK(strcmp(text, expected) == 0 && n == strlen(expected));
    if (ns == INT64_MAX || ns == INT64_MIN + 1) continue; /* parse: years 1678 to 2261 */
    int64_t back = 0;
    CHECK_STATUS(siqaco_time_parse(text, &back), SIQACO_STATUS_OK);
    CHECK(back == ns);
  }
  char text[SIQACO_TIME_TEXT_CAPACITY];
  size_t n = 0;
  CHECK_STATUS(siqaco_time_format(SIQACO_TIME_UNSET, text, sizeof text, &n), SIQACO_STATUS_OK);
  CHECK(strcmp(text, "-") == 0 && n == 1);
  /* the length asked with a NULL buffer, then a buffer one byte short */
  n = 0;
  CHECK_STATUS(siqaco_time_format(0, NULL, 0, &n), SIQACO_STATUS_BUFFER_TOO_SMALL);
  CHECK(n == strlen("1970-01-01T00:00:00.000000Z"));
  CHECK_STATUS(siqaco_time_format(0, text, n, &n), SIQACO_STATUS_BUFFER_TOO_SMALL);
  CHECK_STATUS(siqaco_time_format(0, text, sizeof text, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  /* the CLI's other forms: a date, an ordinal date */
  int64_t ns = 0;
  CHECK_STATUS(siqaco_time_parse("2000-02-29", &ns), SIQACO_STATUS_OK);
  CHECK(ns == 951782400000000000LL);
  CHECK_STATUS(siqaco_time_parse("2000,060", &ns), SIQACO_STATUS_OK);
  CHECK(ns == 951782400000000000LL);
  ns = 42;
  CHECK_STATUS(siqaco_time_parse("2001-02-29", &ns), SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK(ns == 42 && strstr(last_error(), "2001-02-29") != NULL);
  CHECK_STATUS(siqaco_time_parse(NULL, &ns), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_time_parse("2000-01-01", NULL), SIQACO_STATUS_NULL_ARGUMENT);
}

static void test_null_arguments(const char *root) {
  siqaco_archive *archive = (siqaco_archive *)0x1; /* must stay untouched on failure */
  CHECK_STATUS(siqaco_archive_open(NULL, "sds", &archive), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK(archive == (siqaco_archive *)0x1);
  CHECK(strcmp(last_error(), "argument `root` is NULL") == 0);
  CHECK_STATUS(siqaco_archive_open(root, "sds", NULL), SIQACO_STATUS_NULL_ARGUMENT);

  siqaco_report *report = NULL;
  CHECK_STATUS(siqaco_archive_scan(NULL, NULL, SIQACO_TIME_UNSET, SIQACO_TIME_UNSET, &report),
               SIQACO_STATUS_NULL_ARGUMENT);
  CHECK(report == NULL);
  size_t n = 7;
  CHECK_STATUS(siqaco_report_stream_count(NULL, &n), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK(n == 7);
  siqaco_gap gap;
  CHECK_STATUS(siqaco_report_gap(NULL, 0, 0, &gap), SIQACO_STATUS_NULL_ARGUMENT);
  siqaco_samples *samples = NULL;
  CHECK_STATUS(siqaco_archive_read(NULL, NULL, 0, 1, &samples), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_samples_segment_count(NULL, &n), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_samples_copy_int32(NULL, 0, NULL, 0, &n), SIQACO_STATUS_NULL_ARGUMENT);
  siqaco_index_report ir;
  CHECK_STATUS(siqaco_archive_index(NULL, "x.sqlite", &ir), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_last_error_message(NULL, 0, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  /* free functions accept NULL */
  siqaco_archive_free(NULL);
  siqaco_report_free(NULL);
  siqaco_samples_free(NULL);
}

static void test_bad_arguments(const char *root) {
  siqaco_archive *archive = NULL;
  CHECK_STATUS(siqaco_archive_open("/nonexistent/siqaco/archive", "sds", &archive),
               SIQACO_STATUS_IO);
  CHECK(archive == NULL);
  CHECK(strstr(last_error(), "/nonexistent/siqaco/archive") != NULL);
  CHECK_STATUS(siqaco_archive_open(root, "no-such-layout", &archive),
               SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK(archive == NULL);
  CHECK_STATUS(siqaco_archive_open(root, NULL, &archive), SIQACO_STATUS_OK);
  siqaco_report *report = NULL;
  CHECK_STATUS(siqaco_archive_scan(archive, "BW.A.B.C.D", SIQACO_TIME_UNSET, SIQACO_TIME_UNSET, &report),
               SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(siqaco_archive_scan(archive, NULL, 10, 5, &report), SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK(report == NULL);
  siqaco_archive_free(archive);
}

static void test_last_error_buffer(void) {
  siqaco_archive *archive = NULL;
  CHECK_STATUS(siqaco_archive_open(NULL, NULL, &archive), SIQACO_STATUS_NULL_ARGUMENT);
  size_t n = 0;
  CHECK_STATUS(siqaco_last_error_message(NULL, 0, &n), SIQACO_STATUS_BUFFER_TOO_SMALL);
  CHECK(n == strlen("argument `root` is NULL"));
  char small[4];
  CHECK_STATUS(siqaco_last_error_message(small, sizeof small, &n), SIQACO_STATUS_BUFFER_TOO_SMALL);
  CHECK_STATUS(siqaco_last_error_message(small, 3, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  char *buf = malloc(n + 1);
  size_t m = 0;
  CHECK_STATUS(siqaco_last_error_message(buf, n + 1, &m), SIQACO_STATUS_OK);
  CHECK(m == n && strcmp(buf, "argument `root` is NULL") == 0);
  free(buf);
}

static void test_scan(const char *root) {
  siqaco_archive *archive = NULL;
  siqaco_report *report = NULL;
  CHECK_STATUS(siqaco_archive_open(root, "sds", &archive), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_archive_scan(archive, "", SIQACO_TIME_UNSET, SIQACO_TIME_UNSET, &report),
               SIQACO_STATUS_OK);
  if (!report) goto done;
  size_t nstreams = 0, nerrors = 99;
  CHECK_STATUS(siqaco_report_stream_count(report, &nstreams), SIQACO_STATUS_OK);
  CHECK(nstreams == 35);
  CHECK_STATUS(siqaco_report_error_count(report, &nerrors), SIQACO_STATUS_OK);
  CHECK(nerrors == 0);
  size_t gaps = 0, overlaps = 0, days = 0, segments = 0;
  for (size_t i = 0; i < nstreams; i++) {
    siqaco_stream s;
    CHECK_STATUS(siqaco_report_stream(report, i, &s), SIQACO_STATUS_OK);
    gaps += s.gap_count;
    overlaps += s.overlap_count;
    days += s.day_count;
    segments += s.segment_count;
    for (size_t j = 0; j < s.segment_count; j++) {
      siqaco_segment seg;
      CHECK_STATUS(siqaco_report_segment(report, i, j, &seg), SIQACO_STATUS_OK);
      CHECK(seg.start_ns < seg.end_ns && seg.last_sample_ns < seg.end_ns);
    }
    for (size_t j = 0; j < s.overlap_count; j++) {
      siqaco_overlap o;
      CHECK_STATUS(siqaco_report_overlap(report, i, j, &o), SIQACO_STATUS_OK);
      CHECK(o.depth >= 2 && o.duration_s > 0);
    }
    for (size_t j = 0; j < s.day_count; j++) {
      siqaco_day d;
      CHECK_STATUS(siqaco_report_day(report, i, j, &d), SIQACO_STATUS_OK);
      CHECK(d.percent_availability >= 0 && d.percent_availability <= 100);
      CHECK(d.day_start_ns % (86400LL * 1000000000LL) == 0);
    }
    if (strcmp(s.nslc, "BW.BGLD..EHE") == 0) {
      CHECK(s.overlap_count == 4 && s.gap_count == 0 && s.sample_rate_hz == 200.0);
      CHECK(s.day_count == 2);
      siqaco_day d;
      CHECK_STATUS(siqaco_report_day(report, i, 0, &d), SIQACO_STATUS_OK);
      CHECK(isnan(d.end_gap) && fabs(d.start_gap - 86399.765) < 1e-9);
    }
    if (strcmp(s.nslc, "BW.FFB1..BH2") == 0) {
      siqaco_gap g;
      CHECK_STATUS(siqaco_report_gap(report, i, 0, &g), SIQACO_STATUS_OK);
      CHECK(g.missing_samples == 47 && fabs(g.duration_s - 1.175) < 1e-9);
      CHECK(fabs(g.last_to_next_s - 1.2) < 1e-9 && g.edge == SIQACO_EDGE_NONE);
    }
  }
  CHECK(gaps == 4 && overlaps == 4);
  CHECK(segments >= nstreams && days >= nstreams);

  /* out of range, *_out untouched */
  siqaco_stream s;
  s.records = 4242;
  CHECK_STATUS(siqaco_report_stream(report, nstreams, &s), SIQACO_STATUS_OUT_OF_RANGE);
  CHECK(s.records == 4242);
  siqaco_gap g;
  CHECK_STATUS(siqaco_report_gap(report, 0, 1000, &g), SIQACO_STATUS_OUT_OF_RANGE);
  CHECK(strstr(last_error(), "gap index 1000") != NULL);
  CHECK_STATUS(siqaco_report_error_text(report, 0, NULL, 0, &nerrors), SIQACO_STATUS_OUT_OF_RANGE);
  siqaco_report_free(report);
  report = NULL;

  /* a window gives head and tail gaps; a selection narrows the streams */
  const int64_t day = 86400LL * 1000000000LL;
  const int64_t t2016_03_11 = 16871LL * day;
  CHECK_STATUS(siqaco_archive_scan(archive, "BW.FFB1.--.BHZ", t2016_03_11, t2016_03_11 + day, &report),
               SIQACO_STATUS_OK);
  if (report) {
    CHECK_STATUS(siqaco_report_stream_count(report, &nstreams), SIQACO_STATUS_OK);
    CHECK(nstreams == 1);
    CHECK_STATUS(siqaco_report_stream(report, 0, &s), SIQACO_STATUS_OK);
    CHECK(strcmp(s.nslc, "BW.FFB1..BHZ") == 0 && s.gap_count == 2);
    CHECK_STATUS(siqaco_report_gap(report, 0, 0, &g), SIQACO_STATUS_OK);
    CHECK(g.edge == SIQACO_EDGE_HEAD && g.last_sample_ns == SIQACO_TIME_UNSET && isnan(g.last_to_next_s));
    CHECK_STATUS(siqaco_report_gap(report, 0, 1, &g), SIQACO_STATUS_OK);
    CHECK(g.edge == SIQACO_EDGE_TAIL && g.next_sample_ns == SIQACO_TIME_UNSET && g.end_ns == t2016_03_11 + day);
  }
done:
  siqaco_report_free(report);
  siqaco_archive_free(archive);
}

static void test_read(const char *root) {
  siqaco_archive *archive = NULL;
  siqaco_samples *samples = NULL;
  CHECK_STATUS(siqaco_archive_open(root, "sds", &archive), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_archive_read(archive, "IU.COLA.00.BHZ", SIQACO_TIME_UNSET, SIQACO_TIME_UNSET, &samples),
               SIQACO_STATUS_OK);
  if (!samples) goto done;
  size_t nseg = 0;
  CHECK_STATUS(siqaco_samples_segment_count(samples, &nseg), SIQACO_STATUS_OK);
  CHECK(nseg >= 1);
  siqaco_sample_segment seg;
  CHECK_STATUS(siqaco_samples_segment(samples, 0, &seg), SIQACO_STATUS_OK);
  CHECK(strcmp(seg.nslc, "IU.COLA.00.BHZ") == 0);
  CHECK(seg.sample_rate_hz == 20.0 && seg.sample_type == SIQACO_SAMPLE_INT32);
  CHECK(seg.sample_count > 1000);
  CHECK(seg.end_ns - seg.start_ns == (int64_t)seg.sample_count * 50000000LL);

  /* size query, then a buffer too small, then the right size */
  size_t n = 0;
  CHECK_STATUS(siqaco_samples_copy_int32(samples, 0, NULL, 0, &n), SIQACO_STATUS_BUFFER_TOO_SMALL);
  CHECK(n == seg.sample_count);
  int32_t small[10];
  n = 0;
  CHECK_STATUS(siqaco_samples_copy_int32(samples, 0, small, 10, &n), SIQACO_STATUS_BUFFER_TOO_SMALL);
  CHECK(n == seg.sample_count);
  CHECK(strstr(last_error(), "too small") != NULL);
  CHECK_STATUS(siqaco_samples_copy_int32(samples, 0, NULL, 10, &n), SIQACO_STATUS_NULL_ARGUMENT);
  int32_t *ibuf = malloc(seg.sample_count * sizeof *ibuf);
  double *dbuf = malloc(seg.sample_count * sizeof *dbuf);
  CHECK_STATUS(siqaco_samples_copy_int32(samples, 0, ibuf, seg.sample_count, &n), SIQACO_STATUS_OK);
  CHECK(n == seg.sample_count);
  CHECK_STATUS(siqaco_samples_copy_float64(samples, 0, dbuf, seg.sample_count, &n), SIQACO_STATUS_OK);
  int same = 1;
  for (size_t k = 0; k < n; k++) same &= (dbuf[k] == (double)ibuf[k]);
  CHECK(same);
  float fbuf[4];
  CHECK_STATUS(siqaco_samples_copy_float32(samples, 0, fbuf, 4, &n), SIQACO_STATUS_WRONG_SAMPLE_TYPE);
  CHECK_STATUS(siqaco_samples_copy_int32(samples, nseg, ibuf, seg.sample_count, &n), SIQACO_STATUS_OUT_OF_RANGE);
  free(ibuf);
  free(dbuf);
  siqaco_samples_free(samples);
  samples = NULL;

  /* nothing selected: success with no segment */
  CHECK_STATUS(siqaco_archive_read(archive, "XX.NONE.*.*", SIQACO_TIME_UNSET, SIQACO_TIME_UNSET, &samples),
               SIQACO_STATUS_OK);
  if (samples) {
    CHECK_STATUS(siqaco_samples_segment_count(samples, &nseg), SIQACO_STATUS_OK);
    CHECK(nseg == 0);
  }
done:
  siqaco_samples_free(samples);
  siqaco_archive_free(archive);
}

static void test_corrupt(const char *dir) {
  siqaco_archive *archive = NULL;
  siqaco_report *report = NULL;
  siqaco_samples *samples = NULL;
  CHECK_STATUS(siqaco_archive_open(dir, "files", &archive), SIQACO_STATUS_OK);
  if (!archive) return;
  /* the scan reports the bad file and goes on */
  CHECK_STATUS(siqaco_archive_scan(archive, NULL, SIQACO_TIME_UNSET, SIQACO_TIME_UNSET, &report),
               SIQACO_STATUS_OK);
  if (report) {
    size_t nerr = 0, len = 0;
    CHECK_STATUS(siqaco_report_error_count(report, &nerr), SIQACO_STATUS_OK);
    CHECK(nerr == 1);
    CHECK_STATUS(siqaco_report_error_text(report, 0, NULL, 0, &len), SIQACO_STATUS_BUFFER_TOO_SMALL);
    char *text = malloc(len + 1);
    size_t len2 = 0;
    CHECK_STATUS(siqaco_report_error_text(report, 0, text, len + 1, &len2), SIQACO_STATUS_OK);
    CHECK(len2 == len && strstr(text, "byte offset 0") != NULL && strstr(text, "not miniSEED") != NULL);
    free(text);
  }
  /* reading stops with INVALID_DATA naming the file */
  CHECK_STATUS(siqaco_archive_read(archive, NULL, SIQACO_TIME_UNSET, SIQACO_TIME_UNSET, &samples),
               SIQACO_STATUS_INVALID_DATA);
  CHECK(samples == NULL);
  CHECK(strstr(last_error(), "byte offset 0") != NULL);
  siqaco_report_free(report);
  siqaco_archive_free(archive);
}

static void test_index(const char *root, const char *tmp) {
  char db[4096];
  snprintf(db, sizeof db, "%s/catalogue.sqlite", tmp);
  siqaco_archive *archive = NULL;
  CHECK_STATUS(siqaco_archive_open(root, "sds", &archive), SIQACO_STATUS_OK);
  siqaco_index_report r;
  memset(&r, 0, sizeof r);
  CHECK_STATUS(siqaco_archive_index(archive, db, &r), SIQACO_STATUS_OK);
  CHECK(r.files_listed == 37 && r.files_indexed == 37 && r.rows_written > 0);
  CHECK_STATUS(siqaco_archive_index(archive, db, &r), SIQACO_STATUS_OK);
  CHECK(r.files_unchanged == 37 && r.files_indexed == 0);
  char bad[4096];
  snprintf(bad, sizeof bad, "%s/no/such/dir/catalogue.sqlite", tmp);
  CHECK_STATUS(siqaco_archive_index(archive, bad, &r), SIQACO_STATUS_DATABASE);
  siqaco_archive_free(archive);
  /* A catalogue that must exist: the one just written opens; a missing one is refused
     (I/O, "no such catalogue") and not created. */
  siqaco_catalogue *cat = NULL;
  CHECK_STATUS(siqaco_catalogue_open_existing(db, &cat), SIQACO_STATUS_OK);
  siqaco_catalogue_free(cat);
  cat = NULL;
  char missing[4096];
  snprintf(missing, sizeof missing, "%s/typo.sqlite", tmp);
  CHECK_STATUS(siqaco_catalogue_open_existing(missing, &cat), SIQACO_STATUS_IO);
  CHECK(cat == NULL);
  CHECK(strstr(last_error(), "typo.sqlite: no such catalogue") != NULL);
  FILE *f = fopen(missing, "rb");
  CHECK(f == NULL);
}

/* Counts the gaps, overlaps and days of every stream of a report. */
struct totals {
  size_t streams, gaps, overlaps, days, errors;
};

static struct totals report_totals(const siqaco_report *report) {
  struct totals t = {0, 0, 0, 0, 0};
  CHECK_STATUS(siqaco_report_stream_count(report, &t.streams), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_report_error_count(report, &t.errors), SIQACO_STATUS_OK);
  for (size_t i = 0; i < t.streams; i++) {
    siqaco_stream s;
    CHECK_STATUS(siqaco_report_stream(report, i, &s), SIQACO_STATUS_OK);
    t.gaps += s.gap_count;
    t.overlaps += s.overlap_count;
    t.days += s.day_count;
  }
  return t;
}

/* Scans the archive with options; returns the totals (all zero when the scan failed). */
static struct totals scan_totals(const siqaco_archive *archive, const siqaco_scan_options *options) {
  struct totals t = {0, 0, 0, 0, 0};
  siqaco_report *report = NULL;
  CHECK_STATUS(siqaco_archive_scan_with_options(archive, options, &report), SIQACO_STATUS_OK);
  if (report) t = report_totals(report);
  siqaco_report_free(report);
  return t;
}

/* Scan options: each changes the result as `siqaco scan` with the same option does (the
 * numbers are the CLI's on sds-small: 35 streams, 4 gaps of 0.025, 1.175, 0.025 and 0.025 s,
 * 4 overlaps, 42 stream-days). */
static void test_scan_options(const char *root) {
  siqaco_archive *archive = NULL;
  siqaco_scan_options *options = NULL;
  CHECK_STATUS(siqaco_archive_open(root, "sds", &archive), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_scan_options_new(&options), SIQACO_STATUS_OK);
  if (!archive || !options) goto done;
  const double nan = NAN;

  /* defaults = siqaco_archive_scan; NULL options = defaults */
  struct totals t = scan_totals(archive, options);
  CHECK(t.streams == 35 && t.gaps == 4 && t.overlaps == 4 && t.days == 42);
  t = scan_totals(archive, NULL);
  CHECK(t.streams == 35 && t.gaps == 4 && t.days == 42);

  /* --min-gap 1: only BW.FFB1..BH2's 1.175 s gap; --max-gap 0.1: the three others */
  CHECK_STATUS(siqaco_scan_options_set_gap_filter(options, 1.0, nan), SIQACO_STATUS_OK);
  t = scan_totals(archive, options);
  CHECK(t.gaps == 1 && t.days == 42);
  CHECK_STATUS(siqaco_scan_options_set_gap_filter(options, nan, 0.1), SIQACO_STATUS_OK);
  t = scan_totals(archive, options);
  CHECK(t.gaps == 3);
  CHECK_STATUS(siqaco_scan_options_set_gap_filter(options, nan, nan), SIQACO_STATUS_OK);

  /* --tolerance 2: no gap left, 3 overlaps (`siqaco scan --tolerance 2`) */
  CHECK_STATUS(siqaco_scan_options_set_tolerance(options, 2.0, nan, nan), SIQACO_STATUS_OK);
  t = scan_totals(archive, options);
  CHECK(t.gaps == 0 && t.overlaps == 3);
  /* --tolerance-periods 100: no gap, 4 overlaps */
  CHECK_STATUS(siqaco_scan_options_set_tolerance(options, nan, 100.0, nan), SIQACO_STATUS_OK);
  t = scan_totals(archive, options);
  CHECK(t.gaps == 0 && t.overlaps == 4);
  /* both time forms, or a negative value: refused, options unchanged */
  CHECK_STATUS(siqaco_scan_options_set_tolerance(options, 1.0, 1.0, nan), SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(last_error(), "not both") != NULL);
  CHECK_STATUS(siqaco_scan_options_set_tolerance(options, nan, nan, -1.0), SIQACO_STATUS_INVALID_ARGUMENT);
  t = scan_totals(archive, options);
  CHECK(t.gaps == 0 && t.overlaps == 4);
  CHECK_STATUS(siqaco_scan_options_set_tolerance(options, nan, nan, nan), SIQACO_STATUS_OK);

  /* per-day statistics off; threads; selection; window */
  CHECK_STATUS(siqaco_scan_options_set_per_day(options, 0), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_scan_options_set_threads(options, 2), SIQACO_STATUS_OK);
  t = scan_totals(archive, options);
  CHECK(t.streams == 35 && t.gaps == 4 && t.days == 0);
  CHECK_STATUS(siqaco_scan_options_set_per_day(options, 1), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_scan_options_set_threads(options, 0), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_scan_options_set_selection(options, "BW.FFB1.--.*"), SIQACO_STATUS_OK);
  t = scan_totals(archive, options);
  CHECK(t.streams == 6 && t.gaps == 2); /* BH?, HH? */
  CHECK_STATUS(siqaco_scan_options_set_selection(options, "BW.A.B.C.D"), SIQACO_STATUS_INVALID_ARGUMENT);
  const int64_t day = 86400LL * 1000000000LL;
  const int64_t t2016_03_11 = 16871LL * day;
  CHECK_STATUS(siqaco_scan_options_set_window(options, t2016_03_11, t2016_03_11 + day), SIQACO_STATUS_OK);
  t = scan_totals(archive, options);
  CHECK(t.streams == 6 && t.gaps == 2 + 2 * 6); /* plus a head and a tail gap each */
  CHECK_STATUS(siqaco_scan_options_set_max_gaps_per_day(options, 1), SIQACO_STATUS_OK);
  t = scan_totals(archive, options);
  CHECK(t.gaps == 6); /* one collapsed gap per stream-day */
  CHECK_STATUS(siqaco_scan_options_set_max_gaps_per_day(options, -1), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_scan_options_set_window(options, 10, 5), SIQACO_STATUS_INVALID_ARGUMENT);
  t = scan_totals(archive, options);
  CHECK(t.gaps == 14);
  CHECK_STATUS(siqaco_scan_options_set_window(options, SIQACO_TIME_UNSET, SIQACO_TIME_UNSET), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_scan_options_set_selection(options, NULL), SIQACO_STATUS_OK);
  t = scan_totals(archive, options);
  CHECK(t.streams == 35 && t.gaps == 4);

  /* NULL arguments */
  siqaco_scan_options *o2 = (siqaco_scan_options *)0x1;
  CHECK_STATUS(siqaco_scan_options_new(NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_scan_options_set_selection(NULL, "*.*.*.*"), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_scan_options_set_window(NULL, 0, 1), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_scan_options_set_tolerance(NULL, nan, nan, nan), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_scan_options_set_gap_filter(NULL, nan, nan), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_scan_options_set_max_gaps_per_day(NULL, 1), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_scan_options_set_per_day(NULL, 1), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_scan_options_set_threads(NULL, 1), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK(strcmp(last_error(), "argument `options` is NULL") == 0);
  siqaco_report *report = NULL;
  CHECK_STATUS(siqaco_archive_scan_with_options(NULL, options, &report), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_archive_scan_with_options(archive, options, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK(report == NULL && o2 == (siqaco_scan_options *)0x1);
  siqaco_scan_options_free(NULL);
done:
  siqaco_scan_options_free(options);
  siqaco_archive_free(archive);
}

/* Explicit files, as `siqaco scan FILE...` (the CLI's numbers). */
static void test_files_scan(const char *mseed_dir, const char *corrupt_dir) {
  char a[4096], b[4096], bad[4096], missing[4096];
  snprintf(a, sizeof a, "%s/obspy-io-mseed__gaps.mseed", mseed_dir);
  snprintf(b, sizeof b, "%s/obspy-core__ffbx_unrotated_gaps.mseed", mseed_dir);
  snprintf(bad, sizeof bad, "%s/obspy-io-mseed__not.mseed", corrupt_dir);
  snprintf(missing, sizeof missing, "%s/no-such-file.mseed", mseed_dir);
  const char *two[] = {a, b};
  siqaco_report *report = NULL;
  CHECK_STATUS(siqaco_files_scan(two, 2, NULL, &report), SIQACO_STATUS_OK);
  if (report) {
    struct totals t = report_totals(report);
    CHECK(t.streams == 19 && t.gaps == 7 && t.overlaps == 0 && t.days == 20 && t.errors == 0);
  }
  siqaco_report_free(report);
  report = NULL;

  /* --max-gaps-per-day 1 */
  siqaco_scan_options *options = NULL;
  CHECK_STATUS(siqaco_scan_options_new(&options), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_scan_options_set_max_gaps_per_day(options, 1), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_files_scan(two, 2, options, &report), SIQACO_STATUS_OK);
  if (report) CHECK(report_totals(report).gaps == 5);
  siqaco_report_free(report);
  report = NULL;
  siqaco_scan_options_free(options);

  /* a corrupt file is reported (path as given, byte offset) and the other is scanned */
  const char *with_bad[] = {a, bad};
  CHECK_STATUS(siqaco_files_scan(with_bad, 2, NULL, &report), SIQACO_STATUS_OK);
  if (report) {
    struct totals t = report_totals(report);
    CHECK(t.streams == 1 && t.gaps == 3 && t.errors == 1);
    char text[4096];
    size_t len = 0;
    CHECK_STATUS(siqaco_report_error_text(report, 0, text, sizeof text, &len), SIQACO_STATUS_OK);
    CHECK(strncmp(text, bad, strlen(bad)) == 0 && strstr(text, "byte offset 0") != NULL);
  }
  siqaco_report_free(report);
  report = NULL;

  /* a missing file: IO naming it; NULL arguments; no file: an empty report */
  const char *with_missing[] = {a, missing};
  CHECK_STATUS(siqaco_files_scan(with_missing, 2, NULL, &report), SIQACO_STATUS_IO);
  CHECK(report == NULL && strstr(last_error(), "no-such-file.mseed") != NULL);
  const char *with_null[] = {a, NULL};
  CHECK_STATUS(siqaco_files_scan(with_null, 2, NULL, &report), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK(strcmp(last_error(), "argument `paths[1]` is NULL") == 0);
  CHECK_STATUS(siqaco_files_scan(NULL, 2, NULL, &report), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_files_scan(two, 2, NULL, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK(report == NULL);
  CHECK_STATUS(siqaco_files_scan(NULL, 0, NULL, &report), SIQACO_STATUS_OK);
  if (report) CHECK(report_totals(report).streams == 0);
  siqaco_report_free(report);
}

/* A catalogue: index, then streams, extents, stored day statistics and a report equal to
 * the scan's (the numbers of `siqaco index` + `siqaco stats` on sds-small). */
static void test_catalogue(const char *root, const char *tmp) {
  char db[4096], bad[4096], notdb[4096];
  snprintf(db, sizeof db, "%s/queries.sqlite", tmp);
  snprintf(bad, sizeof bad, "%s/no/such/dir/catalogue.sqlite", tmp);
  snprintf(notdb, sizeof notdb, "%s/not-a-catalogue.sqlite", tmp);
  FILE *f = fopen(notdb, "w");
  if (f) {
    fputs("this is not an SQLite database, it is plain text long enough to be read\n", f);
    fclose(f);
  }
  siqaco_archive *archive = NULL;
  siqaco_catalogue *cat = NULL;
  siqaco_report *report = NULL;
  siqaco_stream_list *list = NULL;
  siqaco_day_stats *stats = NULL;
  CHECK_STATUS(siqaco_archive_open(root, "sds", &archive), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_catalogue_open(db, &cat), SIQACO_STATUS_OK);
  if (!archive || !cat) goto done;

  /* empty before indexing */
  size_t n = 99;
  CHECK_STATUS(siqaco_catalogue_streams(cat, NULL, &list), SIQACO_STATUS_OK);
  if (list) CHECK_STATUS(siqaco_stream_list_count(list, &n), SIQACO_STATUS_OK);
  CHECK(n == 0);
  siqaco_stream_list_free(list);
  list = NULL;

  siqaco_index_report ir;
  memset(&ir, 0, sizeof ir);
  CHECK_STATUS(siqaco_catalogue_index(cat, archive, &ir), SIQACO_STATUS_OK);
  CHECK(ir.files_listed == 37 && ir.files_indexed == 37 && ir.files_with_errors == 0);
  CHECK_STATUS(siqaco_catalogue_index(cat, archive, &ir), SIQACO_STATUS_OK);
  CHECK(ir.files_unchanged == 37 && ir.files_indexed == 0);

  /* streams and extents */
  CHECK_STATUS(siqaco_catalogue_streams(cat, "", &list), SIQACO_STATUS_OK);
  if (list) {
    CHECK_STATUS(siqaco_stream_list_count(list, &n), SIQACO_STATUS_OK);
    CHECK(n == 35);
    siqaco_stream_extent e;
    CHECK_STATUS(siqaco_stream_list_get(list, 0, &e), SIQACO_STATUS_OK);
    CHECK(e.earliest_ns == SIQACO_TIME_UNSET && e.latest_ns == SIQACO_TIME_UNSET);
    CHECK_STATUS(siqaco_stream_list_get(list, n, &e), SIQACO_STATUS_OUT_OF_RANGE);
  }
  siqaco_stream_list_free(list);
  list = NULL;
  CHECK_STATUS(siqaco_catalogue_extents(cat, "IU.COLA.00.BHZ", &list), SIQACO_STATUS_OK);
  if (list) {
    CHECK_STATUS(siqaco_stream_list_count(list, &n), SIQACO_STATUS_OK);
    CHECK(n == 1);
    siqaco_stream_extent e;
    CHECK_STATUS(siqaco_stream_list_get(list, 0, &e), SIQACO_STATUS_OK);
    /* 2010-02-27T06:50:00.019539Z .. 08:00:00.019538Z (`siqaco stats`), 84000 samples at 20 Hz */
    CHECK(strcmp(e.nslc, "IU.COLA.00.BHZ") == 0);
    CHECK(e.earliest_ns / 1000 == 1267253400019539LL && e.latest_ns / 1000 == 1267257600019538LL);
  }
  siqaco_stream_list_free(list);
  list = NULL;
  CHECK_STATUS(siqaco_catalogue_extents(cat, "BW.A.B.C.D", &list), SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK(list == NULL);

  /* stored per-day statistics: one row per stream-day, BW.BGLD..EHE as in `siqaco stats --per-day` */
  CHECK_STATUS(siqaco_catalogue_day_stats(cat, NULL, &stats), SIQACO_STATUS_OK);
  if (stats) {
    CHECK_STATUS(siqaco_day_stats_count(stats, &n), SIQACO_STATUS_OK);
    CHECK(n == 42);
  }
  siqaco_day_stats_free(stats);
  stats = NULL;
  CHECK_STATUS(siqaco_catalogue_day_stats(cat, "BW.BGLD.--.EHE", &stats), SIQACO_STATUS_OK);
  if (stats) {
    CHECK_STATUS(siqaco_day_stats_count(stats, &n), SIQACO_STATUS_OK);
    CHECK(n == 2);
    siqaco_stored_day d;
    CHECK_STATUS(siqaco_day_stats_get(stats, 1, &d), SIQACO_STATUS_OK);
    const int64_t day = 86400LL * 1000000000LL;
    CHECK(strcmp(d.nslc, "BW.BGLD..EHE") == 0 && d.day_start_ns == 13879LL * day); /* 2008-01-01 */
    CHECK(d.num_gaps == 1 && fabs(d.sum_gaps - 86128.205) < 1e-6 && d.num_overlaps == 4);
    CHECK(fabs(d.max_overlap - 189.33) < 1e-6 && fabs(d.percent_availability - 0.314577546) < 1e-6);
    CHECK_STATUS(siqaco_day_stats_get(stats, 2, &d), SIQACO_STATUS_OUT_OF_RANGE);
    CHECK(strstr(last_error(), "day index 2") != NULL);
  }
  siqaco_day_stats_free(stats);
  stats = NULL;

  /* a report from the catalogue, read with the scan's accessors, equals the scan */
  CHECK_STATUS(siqaco_catalogue_report(cat, NULL, &report), SIQACO_STATUS_OK);
  if (report) {
    struct totals t = report_totals(report);
    CHECK(t.streams == 35 && t.gaps == 4 && t.overlaps == 4 && t.days == 42 && t.errors == 0);
    size_t nstreams = t.streams;
    for (size_t i = 0; i < nstreams; i++) {
      siqaco_stream s;
      CHECK_STATUS(siqaco_report_stream(report, i, &s), SIQACO_STATUS_OK);
      if (strcmp(s.nslc, "BW.FFB1..BH2") == 0) {
        siqaco_gap g;
        CHECK_STATUS(siqaco_report_gap(report, i, 0, &g), SIQACO_STATUS_OK);
        CHECK(g.missing_samples == 47 && fabs(g.duration_s - 1.175) < 1e-9);
      }
    }
  }
  siqaco_report_free(report);
  report = NULL;
  siqaco_scan_options *options = NULL;
  CHECK_STATUS(siqaco_scan_options_new(&options), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_scan_options_set_gap_filter(options, 1.0, NAN), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_catalogue_report(cat, options, &report), SIQACO_STATUS_OK);
  if (report) CHECK(report_totals(report).gaps == 1);
  siqaco_report_free(report);
  report = NULL;
  siqaco_scan_options_free(options);

  /* NULL arguments, a directory that does not exist, a file that is not a catalogue */
  siqaco_catalogue *c2 = NULL;
  CHECK_STATUS(siqaco_catalogue_open(NULL, &c2), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_catalogue_open(db, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_catalogue_open(bad, &c2), SIQACO_STATUS_DATABASE);
  CHECK_STATUS(siqaco_catalogue_open(notdb, &c2), SIQACO_STATUS_DATABASE);
  CHECK(c2 == NULL);
  CHECK_STATUS(siqaco_catalogue_index(NULL, archive, &ir), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_catalogue_index(cat, NULL, &ir), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_catalogue_index(cat, archive, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_catalogue_streams(NULL, NULL, &list), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_catalogue_extents(cat, NULL, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_catalogue_day_stats(NULL, NULL, &stats), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_catalogue_report(NULL, NULL, &report), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_catalogue_report(cat, NULL, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_stream_list_count(NULL, &n), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_stream_list_get(NULL, 0, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_day_stats_count(NULL, &n), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_day_stats_get(NULL, 0, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK(list == NULL && stats == NULL && report == NULL);
  siqaco_catalogue_free(NULL);
  siqaco_stream_list_free(NULL);
  siqaco_day_stats_free(NULL);
done:
  siqaco_catalogue_free(cat);
  siqaco_archive_free(archive);
}

/* Merge: the patch lands in an empty archive; a dry run writes nothing; errors. */
static void test_merge(const char *mseed_dir, const char *corrupt_dir, const char *tmp) {
  char root[4096], dry[4096], a[4096], b[4096], bad[4096], missing[4096], path[4096];
  snprintf(root, sizeof root, "%s/merged", tmp);
  snprintf(dry, sizeof dry, "%s/dry", tmp);
  snprintf(a, sizeof a, "%s/obspy-io-mseed__gaps.mseed", mseed_dir);
  snprintf(b, sizeof b, "%s/obspy-io-mseed__timingquality.mseed", mseed_dir);
  snprintf(bad, sizeof bad, "%s/obspy-io-mseed__not.mseed", corrupt_dir);
  snprintf(missing, sizeof missing, "%s/no-such-file.mseed", mseed_dir);
  const char *inputs[] = {a, b};
  const int32_t priorities[] = {1, 2};
  siqaco_merge_options *options = NULL;
  siqaco_merge_report *report = NULL;
  siqaco_merge_summary sum;
  siqaco_merge_day d;
  size_t len = 0;

  /* dry run: the CLI's numbers (`siqaco merge --dry-run --priority 1 --priority 2`), nothing written */
  CHECK_STATUS(siqaco_merge_options_new(&options), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_merge_options_set_dry_run(options, 1), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_merge_into(dry, "sds", inputs, priorities, 2, options, &report), SIQACO_STATUS_OK);
  if (report) {
    CHECK_STATUS(siqaco_merge_report_summary(report, &sum), SIQACO_STATUS_OK);
    CHECK(sum.day_count == 2 && sum.files_written == 0 && sum.recovered == 0);
    CHECK_STATUS(siqaco_merge_report_day(report, 1, &d), SIQACO_STATUS_OK);
    CHECK(strcmp(d.nslc, "BW.BGLD..EHE") == 0 && d.day_start_ns == 13879LL * 86400000000000LL);
    CHECK(d.samples_added == 54359 && d.samples_replaced == 0 && d.overlaps_removed == 39909);
    CHECK(d.changed == 1 && d.created == 1);
  }
  siqaco_merge_report_free(report);
  report = NULL;
  siqaco_archive *archive = NULL;
  CHECK_STATUS(siqaco_archive_open(dry, "sds", &archive), SIQACO_STATUS_IO); /* not created */

  /* for real, default options (NULL) */
  CHECK_STATUS(siqaco_merge_into(root, NULL, inputs, priorities, 2, NULL, &report), SIQACO_STATUS_OK);
  if (report) {
    CHECK_STATUS(siqaco_merge_report_summary(report, &sum), SIQACO_STATUS_OK);
    CHECK(sum.day_count == 2 && sum.files_written == 2 && sum.warning_count == 0);
    CHECK_STATUS(siqaco_merge_report_day(report, 0, &d), SIQACO_STATUS_OK);
    CHECK(d.samples_added == 47 && d.overlaps_removed == 17 && d.day_start_ns == 13878LL * 86400000000000LL);
    /* path: size query, too small, right size */
    CHECK_STATUS(siqaco_merge_report_day_path(report, 0, NULL, 0, &len), SIQACO_STATUS_BUFFER_TOO_SMALL);
    char small[8];
    CHECK_STATUS(siqaco_merge_report_day_path(report, 0, small, sizeof small, &len), SIQACO_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == strlen(root) + strlen("/2007/BW/BGLD/EHE.D/BW.BGLD..EHE.D.2007.365"));
    CHECK_STATUS(siqaco_merge_report_day_path(report, 0, path, sizeof path, &len), SIQACO_STATUS_OK);
    CHECK(strstr(path, "/2007/BW/BGLD/EHE.D/BW.BGLD..EHE.D.2007.365") != NULL);
    CHECK_STATUS(siqaco_merge_report_day_path(report, 2, path, sizeof path, &len), SIQACO_STATUS_OUT_OF_RANGE);
    CHECK_STATUS(siqaco_merge_report_warning_text(report, 0, path, sizeof path, &len), SIQACO_STATUS_OUT_OF_RANGE);
    CHECK_STATUS(siqaco_merge_report_day(report, 2, &d), SIQACO_STATUS_OUT_OF_RANGE);
  }
  siqaco_merge_report_free(report);
  report = NULL;

  /* the merged archive scans as one stream with no gap and no overlap left */
  CHECK_STATUS(siqaco_archive_open(root, "sds", &archive), SIQACO_STATUS_OK);
  if (archive) {
    siqaco_report *scan = NULL;
    CHECK_STATUS(siqaco_archive_scan(archive, NULL, SIQACO_TIME_UNSET, SIQACO_TIME_UNSET, &scan), SIQACO_STATUS_OK);
    if (scan) {
      struct totals t = report_totals(scan);
      CHECK(t.streams == 1 && t.overlaps == 0 && t.errors == 0);
    }
    siqaco_report_free(scan);
  }
  siqaco_archive_free(archive);

  /* merging again changes nothing */
  CHECK_STATUS(siqaco_merge_into(root, "sds", inputs, priorities, 2, NULL, &report), SIQACO_STATUS_OK);
  if (report) {
    CHECK_STATUS(siqaco_merge_report_summary(report, &sum), SIQACO_STATUS_OK);
    CHECK(sum.files_written == 0);
    CHECK_STATUS(siqaco_merge_report_day(report, 1, &d), SIQACO_STATUS_OK);
    CHECK(d.changed == 0 && d.samples_added == 0);
  }
  siqaco_merge_report_free(report);
  report = NULL;

  /* options: bad values are refused and leave the options unchanged */
  CHECK_STATUS(siqaco_merge_options_set_policy(options, 7, 1), SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(siqaco_merge_options_set_policy(options, SIQACO_POLICY_ARCHIVE_LOSES, 1), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_merge_options_set_day_split(options, 9), SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(siqaco_merge_options_set_day_split(options, SIQACO_SPLIT_START_TIME), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_merge_options_set_output(options, 1000, 0, 2, 0), SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(last_error(), "power of two") != NULL);
  CHECK_STATUS(siqaco_merge_options_set_output(options, 512, 2, 0, 0), SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(siqaco_merge_options_set_output(options, 512, 300, 0, 0), SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(siqaco_merge_options_set_output(options, 512, 11, 3, 4), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_merge_options_set_tolerance(options, 1.0, 1.0, NAN), SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(siqaco_merge_options_set_tolerance(options, NAN, NAN, NAN), SIQACO_STATUS_OK);
  /* archive loses, re-encoded as Steim2 miniSEED 3 (dry run): every day file changes */
  CHECK_STATUS(siqaco_merge_into(root, "sds", inputs, NULL, 2, options, &report), SIQACO_STATUS_OK);
  if (report) {
    CHECK_STATUS(siqaco_merge_report_summary(report, &sum), SIQACO_STATUS_OK);
    CHECK(sum.files_written == 0 && sum.day_count >= 1);
    CHECK_STATUS(siqaco_merge_report_day(report, 0, &d), SIQACO_STATUS_OK);
    CHECK(d.changed == 1 && d.records_encoded > 0 && d.created == 0);
  }
  siqaco_merge_report_free(report);
  report = NULL;

  /* a merge into a bucket needs the catalogue of its journal and lock: refused without */
  CHECK_STATUS(siqaco_merge_into("s3://siqaco-test/m", "sds", inputs, NULL, 2, NULL, &report),
               SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK(report == NULL && strstr(last_error(), "catalogue") != NULL &&
        strstr(last_error(), "s3://siqaco-test/m") != NULL);
  CHECK_STATUS(siqaco_merge_options_set_catalogue(options, "merge.sqlite"), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_merge_options_set_catalogue(options, NULL), SIQACO_STATUS_OK);

  /* a corrupt input, a missing input, a bad layout: an error naming them, nothing written */
  const char *with_bad[] = {a, bad};
  CHECK_STATUS(siqaco_merge_into(root, "sds", with_bad, NULL, 2, NULL, &report), SIQACO_STATUS_INVALID_DATA);
  CHECK(report == NULL && strstr(last_error(), "obspy-io-mseed__not.mseed") != NULL);
  const char *with_missing[] = {a, missing};
  CHECK_STATUS(siqaco_merge_into(root, "sds", with_missing, NULL, 2, NULL, &report), SIQACO_STATUS_IO);
  CHECK(strstr(last_error(), "no-such-file.mseed") != NULL);
  CHECK_STATUS(siqaco_merge_into(root, "no-such-layout", inputs, NULL, 2, NULL, &report),
               SIQACO_STATUS_INVALID_ARGUMENT);
  /* NULL arguments */
  CHECK_STATUS(siqaco_merge_into(NULL, "sds", inputs, NULL, 2, NULL, &report), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_merge_into(root, "sds", NULL, NULL, 2, NULL, &report), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_merge_into(root, "sds", inputs, NULL, 2, NULL, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK(report == NULL);
  CHECK_STATUS(siqaco_merge_options_new(NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_merge_options_set_policy(NULL, 0, 1), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_merge_options_set_day_split(NULL, 0), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_merge_options_set_output(NULL, 0, 0, 0, 0), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_merge_options_set_tolerance(NULL, NAN, NAN, NAN), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_merge_options_set_dry_run(NULL, 1), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_merge_report_summary(NULL, &sum), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_merge_report_day(NULL, 0, &d), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_merge_report_day_path(NULL, 0, NULL, 0, &len), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_merge_report_warning_text(NULL, 0, NULL, 0, &len), SIQACO_STATUS_NULL_ARGUMENT);
  siqaco_merge_options_free(NULL);
  siqaco_merge_report_free(NULL);
  siqaco_merge_options_free(options);
}

/* One report read by several threads at once; each thread's failures give its own message. */
struct thread_arg {
  const siqaco_report *report;
  size_t index;
  size_t gaps;
  int message_ok;
};

static void *read_report(void *p) {
  struct thread_arg *a = p;
  size_t n = 0;
  a->gaps = 0;
  for (int round = 0; round < 20; round++) {
    if (siqaco_report_stream_count(a->report, &n) != SIQACO_STATUS_OK) return NULL;
    for (size_t i = 0; i < n; i++) {
      siqaco_stream s;
      if (siqaco_report_stream(a->report, i, &s) != SIQACO_STATUS_OK) return NULL;
      for (size_t j = 0; j < s.gap_count; j++) {
        siqaco_gap g;
        if (siqaco_report_gap(a->report, i, j, &g) == SIQACO_STATUS_OK && round == 0) a->gaps++;
      }
    }
  }
  /* a failure with an index of its own: the message must name it */
  siqaco_gap g;
  siqaco_report_gap(a->report, 0, 1000 + a->index, &g);
  char want[64], buf[256];
  snprintf(want, sizeof want, "gap index %zu ", 1000 + a->index);
  size_t len = 0;
  a->message_ok = siqaco_last_error_message(buf, sizeof buf, &len) == SIQACO_STATUS_OK &&
                  strstr(buf, want) != NULL;
  return NULL;
}

static void test_threads(const char *root) {
  siqaco_archive *archive = NULL;
  siqaco_report *report = NULL;
  CHECK_STATUS(siqaco_archive_open(root, "sds", &archive), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_archive_scan(archive, NULL, SIQACO_TIME_UNSET, SIQACO_TIME_UNSET, &report),
               SIQACO_STATUS_OK);
  if (report) {
    pthread_t threads[4];
    struct thread_arg args[4];
    for (size_t t = 0; t < 4; t++) {
      args[t] = (struct thread_arg){report, t, 0, 0};
      CHECK(pthread_create(&threads[t], NULL, read_report, &args[t]) == 0);
    }
    for (size_t t = 0; t < 4; t++) {
      pthread_join(threads[t], NULL);
      CHECK(args[t].gaps == 4 && args[t].message_ok);
    }
  }
  siqaco_report_free(report);
  siqaco_archive_free(archive);
}

/* ---- update pipeline ---- */

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (!f) return;
  fputs(text, f);
  fclose(f);
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* The numbers of `siqaco update --format json` (or `stack run`) for the same run. */
struct expected_summary {
  int64_t window_start_ns, window_end_ns;
  uint64_t streams_checked, gaps_found, requests_created, requests_sent, requests_succeeded,
      requests_failed, samples_added, requests_left, planned_count;
  uint32_t dry_run;
};

static int summary_is(const siqaco_update_summary *s, struct expected_summary e) {
  int ok = s->window_start_ns == e.window_start_ns && s->window_end_ns == e.window_end_ns &&
           s->streams_checked == e.streams_checked && s->gaps_found == e.gaps_found &&
           s->requests_created == e.requests_created && s->requests_sent == e.requests_sent &&
           s->requests_succeeded == e.requests_succeeded &&
           s->requests_failed == e.requests_failed && s->samples_added == e.samples_added &&
           s->requests_left == e.requests_left && s->planned_count == e.planned_count &&
           s->warning_count == 0 && s->dry_run == e.dry_run;
  if (!ok)
    fprintf(stderr,
            "summary: window %" PRId64 " %" PRId64 " streams %" PRIu64 " gaps %" PRIu64
            " created %" PRIu64 " sent %" PRIu64 " succeeded %" PRIu64 " failed %" PRIu64
            " samples %" PRIu64 " left %" PRIu64 " planned %" PRIu64 " warnings %" PRIu64
            " dry_run %u\n",
            s->window_start_ns, s->window_end_ns, s->streams_checked, s->gaps_found,
            s->requests_created, s->requests_sent, s->requests_succeeded, s->requests_failed,
            s->samples_added, s->requests_left, s->planned_count, s->warning_count, s->dry_run);
  return ok;
}

/* The streams of SELECTION in [start, end) have the same samples, segments and gaps in both
 * archives (as `siqaco scan` reports them). */
static int same_scan(const char *a_root, const char *b_root, const char *selection, int64_t start,
                     int64_t end) {
  siqaco_archive *a = NULL, *b = NULL;
  siqaco_report *ra = NULL, *rb = NULL;
  int same = 0;
  size_t na = 0, nb = 0;
  if (siqaco_archive_open(a_root, "sds", &a) != SIQACO_STATUS_OK ||
      siqaco_archive_open(b_root, "sds", &b) != SIQACO_STATUS_OK ||
      siqaco_archive_scan(a, selection, start, end, &ra) != SIQACO_STATUS_OK ||
      siqaco_archive_scan(b, selection, start, end, &rb) != SIQACO_STATUS_OK ||
      siqaco_report_stream_count(ra, &na) != SIQACO_STATUS_OK ||
      siqaco_report_stream_count(rb, &nb) != SIQACO_STATUS_OK || na != nb || na == 0)
    goto done;
  for (size_t i = 0; i < na; i++) {
    siqaco_stream sa, sb;
    siqaco_report_stream(ra, i, &sa);
    siqaco_report_stream(rb, i, &sb);
    if (strcmp(sa.nslc, sb.nslc) != 0 || sa.samples != sb.samples ||
        sa.segment_count != sb.segment_count || sa.gap_count != sb.gap_count)
      goto done;
    for (size_t j = 0; j < sa.gap_count; j++) {
      siqaco_gap ga, gb;
      siqaco_report_gap(ra, i, j, &ga);
      siqaco_report_gap(rb, i, j, &gb);
      if (ga.start_ns != gb.start_ns || ga.end_ns != gb.end_ns || ga.edge != gb.edge) goto done;
    }
  }
  same = 1;
done:
  siqaco_report_free(ra);
  siqaco_report_free(rb);
  siqaco_archive_free(a);
  siqaco_archive_free(b);
  return same;
}

/* Writes DIR/NAME (its path to PATH), a configuration of test_update: archive DIR/final
 * (with the ARCHIVE_EXTRA lines), catalogue DIR/final.sqlite, four streams, 2 attempts per
 * request, one source (SOURCE: its keys). */
static void write_config(char *path, size_t size, const char *dir, const char *name,
                         const char *archive_extra, const char *source) {
  char text[8192];
  snprintf(path, size, "%s/%s", dir, name);
  snprintf(text, sizeof text,
           "[archive]\npath = \"final\"\n%s\n"
           "[catalogue]\nurl = \"final.sqlite\"\n\n"
           "[streams]\nselect = [\"IU.COLA.00.LH1\", \"IU.COLA.00.LH2\", \"IU.COLA.00.LHZ\", "
           "\"XX.TEST.00.LHZ\"]\n\n"
           "[requests]\nretry = { count = 2 }\n\n"
           "[[sources]]\n%s\n",
           archive_extra, source);
  write_text(path, text);
}

/* siqaco update / stack run from a configuration file: the "final" archive starts empty
 * (created by the run) and is filled from SDS_ROOT, a local archive source; the window,
 * 2010-02-27T06:50 - 08:00, holds IU.COLA.00.LH? whole and XX.TEST.00.LHZ up to 07:55:52, so
 * the request for XX.TEST's tail cannot be completed. Expected numbers: the CLI's on the same
 * configuration. */
static void test_update(const char *root, const char *tmp) {
  const int64_t s = 1000000000LL;
  const int64_t w0 = 1267253400LL * s, w1 = 1267257600LL * s; /* 06:50, 08:00 */
  char dir[1024], config[2048], final_root[2048], db[2048], lock[4096], path[2048];
  char local[4096], program[4096];
  snprintf(dir, sizeof dir, "%s/update", tmp);
  CHECK(mkdir(dir, 0755) == 0);
  snprintf(final_root, sizeof final_root, "%s/final", dir);
  snprintf(db, sizeof db, "%s/final.sqlite", dir);
  snprintf(lock, sizeof lock, "%s/.siqaco-update.lock", final_root);
  snprintf(local, sizeof local, "name = \"local\"\nkind = \"archive\"\npath = \"%s\"", root);
  write_config(config, sizeof config, dir, "siqaco.toml", "", local);

  siqaco_update_summary sum;
  memset(&sum, 0xab, sizeof sum);
  const siqaco_update_summary untouched = sum;
  siqaco_update_options *options = NULL;
  CHECK_STATUS(siqaco_update_options_new(&options), SIQACO_STATUS_OK);
  if (!options) return;

  /* options: a window needs both bounds, in order; refused values change nothing; the
   * message names the request field, as the CLI and Python do (tests/bad-inputs.tsv) */
  CHECK_STATUS(siqaco_update_options_set_window(options, w0, SIQACO_TIME_UNSET),
               SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK(strcmp(last_error(),
               "invalid argument: end_ns: missing: give both ends of the window or neither") == 0);
  CHECK_STATUS(siqaco_update_options_set_window(options, w1, w0), SIQACO_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(siqaco_update_options_set_window(options, w0, w0), SIQACO_STATUS_INVALID_ARGUMENT);

  /* dry run, the configuration's window at a given time: [window] defaults (hour, W 2,
   * L 1) at 2010-02-28T00:30 give 2010-02-27T21:00 - 23:00, where the source has nothing */
  CHECK_STATUS(siqaco_update_options_set_now(options, 1267317000LL * s), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_update_options_set_dry_run(options, 1), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_update_run(config, options, &sum), SIQACO_STATUS_OK);
  CHECK(summary_is(&sum, (struct expected_summary){1267304400LL * s, 1267311600LL * s, 4, 4, 4,
                                                   0, 0, 0, 0, 0, 0, 1}));
  /* dry run over the forced window: every stream is missing, the source is asked for all */
  CHECK_STATUS(siqaco_update_options_set_window(options, w0, w1), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_update_run(config, options, &sum), SIQACO_STATUS_OK);
  CHECK(summary_is(&sum, (struct expected_summary){w0, w1, 4, 4, 4, 4, 0, 0, 0, 0, 4, 1}));
  CHECK(!exists(final_root) && !exists(db)); /* a dry run changes nothing */

  /* the run: three requests complete, XX.TEST's tail is left for retry */
  CHECK_STATUS(siqaco_update_options_set_dry_run(options, 0), SIQACO_STATUS_OK);
  CHECK_STATUS(siqaco_update_run(config, options, &sum), SIQACO_STATUS_OK);
  CHECK(summary_is(&sum, (struct expected_summary){w0, w1, 4, 4, 4, 4, 3, 1, 3 * 4200 + 3952, 1,
                                                   0, 0}));
  CHECK(exists(db));
  /* the gaps are gone: the updated archive scans as the source over the window */
  CHECK(same_scan(final_root, root, "IU.COLA.00.LH?,XX.TEST.00.LHZ", w0, w1));

  /* another run while the archive's lock is held fails at once, changing nothing */
  int fd = open(lock, O_RDWR);
  CHECK(fd >= 0);
  if (fd >= 0) {
    CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0);
    sum = untouched;
    CHECK_STATUS(siqaco_update_run(config, options, &sum), SIQACO_STATUS_IO);
    CHECK(strstr(last_error(), "another siqaco update") != NULL);
    CHECK_STATUS(siqaco_stack_run(config, &sum), SIQACO_STATUS_IO);
    CHECK(memcmp(&sum, &untouched, sizeof sum) == 0);
    close(fd);
  }

  /* the stack: the pending request is attempted again (2 of 2: on hold), then nothing is
   * pending (window unset) */
  CHECK_STATUS(siqaco_stack_run(config, &sum), SIQACO_STATUS_OK);
  CHECK(summary_is(&sum, (struct expected_summary){w0, w1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0}));
  CHECK_STATUS(siqaco_stack_run(config, &sum), SIQACO_STATUS_OK);
  CHECK(summary_is(&sum, (struct expected_summary){SIQACO_TIME_UNSET, SIQACO_TIME_UNSET, 0, 0,
                                                   0, 0, 0, 0, 0, 0, 0, 0}));
  /* a second run finds the one gap left, already asked for: nothing new, nothing sent */
  CHECK_STATUS(siqaco_update_run(config, options, &sum), SIQACO_STATUS_OK);
  CHECK(summary_is(&sum, (struct expected_summary){w0, w1, 4, 1, 0, 0, 0, 0, 0, 1, 0, 0}));

  /* a missing file, an unknown key, a source that cannot be used */
  snprintf(path, sizeof path, "%s/missing.toml", dir);
  CHECK_STATUS(siqaco_update_run(path, NULL, &sum), SIQACO_STATUS_IO);
  CHECK(strstr(last_error(), "missing.toml") != NULL);
  CHECK_STATUS(siqaco_stack_run(path, &sum), SIQACO_STATUS_IO);
  write_config(path, sizeof path, dir, "bad.toml", "bogus_key = 1\n", local);
  CHECK_STATUS(siqaco_update_run(path, NULL, &sum), SIQACO_STATUS_CONFIG);
  CHECK(strstr(last_error(), "bogus_key") != NULL && strstr(last_error(), "bad.toml") != NULL);
  CHECK_STATUS(siqaco_stack_run(path, &sum), SIQACO_STATUS_CONFIG);
  snprintf(program, sizeof program,
           "name = \"q330\"\nkind = \"program\"\ncommand = \"%s/no-such-fetch.sh\"", dir);
  write_config(path, sizeof path, dir, "program.toml", "", program);
  CHECK_STATUS(siqaco_update_run(path, options, &sum), SIQACO_STATUS_SOURCE);
  CHECK(strstr(last_error(), "q330") != NULL && strstr(last_error(), "no-such-fetch.sh") != NULL);

  /* NULL arguments: a status and a message, nothing written */
  sum = untouched;
  CHECK_STATUS(siqaco_update_run(NULL, options, &sum), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK(strcmp(last_error(), "argument `config_path` is NULL") == 0);
  CHECK_STATUS(siqaco_update_run(config, options, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK(strcmp(last_error(), "argument `summary_out` is NULL") == 0);
  CHECK_STATUS(siqaco_stack_run(NULL, &sum), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_stack_run(config, NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK(memcmp(&sum, &untouched, sizeof sum) == 0);
  CHECK_STATUS(siqaco_update_options_new(NULL), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_update_options_set_window(NULL, w0, w1), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_update_options_set_dry_run(NULL, 1), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(siqaco_update_options_set_now(NULL, w0), SIQACO_STATUS_NULL_ARGUMENT);
  CHECK(strcmp(last_error(), "argument `options` is NULL") == 0);
  siqaco_update_options_free(NULL);
  siqaco_update_options_free(options);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: test_capi SDS_ROOT CORRUPT_DIR TMP_DIR MSEED_DIR\n");
    return 2;
  }
  test_version_and_status();
  test_null_arguments(argv[1]);
  test_bad_arguments(argv[1]);
  test_last_error_buffer();
  test_time_text();
  test_scan(argv[1]);
  test_read(argv[1]);
  test_corrupt(argv[2]);
  test_index(argv[1], argv[3]);
  test_threads(argv[1]);
  test_scan_options(argv[1]);
  test_files_scan(argv[4], argv[2]);
  test_catalogue(argv[1], argv[3]);
  test_merge(argv[4], argv[2], argv[3]);
  test_update(argv[1], argv[3]);
  printf("test_capi: %d checks, %d failure(s)\n", checks, failures);
  return failures ? 1 : 0;
}
