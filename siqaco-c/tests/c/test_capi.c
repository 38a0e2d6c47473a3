/*
 * Tests of libsiqaco through its C header, run by scripts/test-c under valgrind (no leak,
 * no error allowed), including the error paths: NULL arguments, a missing archive, a
 * corrupt file, buffers too small, out-of-range indices, wrong sample types.
 *
 * Usage: test_capi SDS_ROOT CORRUPT_DIR TMP_DIR
 *   SDS_ROOT     ../shared/data/sds-small
 *   CORRUPT_DIR  a directory holding one file that is not miniSEED (layout "files")
 *   TMP_DIR      a writable directory (for a catalogue)
 */
#include <inttypes.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  CHECK(SIQACO_STATUS_NULL_ARGUMENT == 100 && SIQACO_STATUS_PANIC == 199);
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

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: test_capi SDS_ROOT CORRUPT_DIR TMP_DIR\n");
    return 2;
  }
  test_version_and_status();
  test_null_arguments(argv[1]);
  test_bad_arguments(argv[1]);
  test_last_error_buffer();
  test_scan(argv[1]);
  test_read(argv[1]);
  test_corrupt(argv[2]);
  test_index(argv[1], argv[3]);
  test_threads(argv[1]);
  printf("test_capi: %d checks, %d failure(s)\n", checks, failures);
  return failures ? 1 : 0;
}
