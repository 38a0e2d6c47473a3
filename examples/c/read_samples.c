/*
 * read_samples: decode the samples of an archive's streams with libsiqaco and print one
 * line per contiguous segment:
 *
 *   NSLC START END COUNT SUM MIN MAX
 *
 * START/END as ISO 8601 UTC with microseconds, as the CLI prints them (END = last sample + one period, as the end
 * of a segment in `siqaco scan --format json`); SUM, MIN and MAX of the samples (as
 * doubles, 3 decimals). int32 segments are copied with siqaco_samples_copy_int32, others
 * with siqaco_samples_copy_float64, after asking for the size.
 *
 * Usage: read_samples [ROOT [SELECTION]]   (default tests/data/sds-small from the repository root, every stream)
 * Build: cc read_samples.c $(pkg-config --cflags --libs siqaco) -o read_samples
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "siqaco.h"

/* The CLI's text of an instant (siqaco_time_format; 32 bytes always suffice). */
static void format_time(int64_t ns, char *buf, size_t len) {
  size_t n = 0;
  if (siqaco_time_format(ns, buf, len, &n) != SIQACO_STATUS_OK && len > 0) buf[0] = '\0';
}

static int fail(const char *what, siqaco_status st) {
  char msg[1024];
  size_t n = 0;
  if (siqaco_last_error_message(msg, sizeof msg, &n) != SIQACO_STATUS_OK) msg[0] = '\0';
  fprintf(stderr, "read_samples: %s: %s (%u): %s\n", what, siqaco_status_str(st), st, msg);
  return 1;
}

int main(int argc, char **argv) {
  const char *root = argc > 1 ? argv[1] : "tests/data/sds-small";
  const char *selection = argc > 2 ? argv[2] : NULL;
  siqaco_archive *archive = NULL;
  siqaco_samples *samples = NULL;
  double *values = NULL;
  int32_t *ints = NULL;
  siqaco_status st;
  int rc = 0;

  if ((st = siqaco_archive_open(root, "sds", &archive)) != SIQACO_STATUS_OK)
    return fail("siqaco_archive_open", st);
  st = siqaco_archive_read(archive, selection, SIQACO_TIME_UNSET, SIQACO_TIME_UNSET, &samples);
  if (st != SIQACO_STATUS_OK) {
    rc = fail("siqaco_archive_read", st);
    goto done;
  }
  size_t nseg = 0;
  siqaco_samples_segment_count(samples, &nseg);
  for (size_t i = 0; i < nseg; i++) {
    siqaco_sample_segment seg;
    if ((st = siqaco_samples_segment(samples, i, &seg)) != SIQACO_STATUS_OK) {
      rc = fail("siqaco_samples_segment", st);
      goto done;
    }
    size_t n = 0;
    /* size query: BUFFER_TOO_SMALL with the count (OK for an empty segment) */
    st = seg.sample_type == SIQACO_SAMPLE_INT32 ? siqaco_samples_copy_int32(samples, i, NULL, 0, &n)
                                                : siqaco_samples_copy_float64(samples, i, NULL, 0, &n);
    if (st != SIQACO_STATUS_BUFFER_TOO_SMALL && st != SIQACO_STATUS_OK) {
      rc = fail("siqaco_samples_copy (size)", st);
      goto done;
    }
    values = realloc(values, (n ? n : 1) * sizeof *values);
    if (seg.sample_type == SIQACO_SAMPLE_INT32) {
      ints = realloc(ints, (n ? n : 1) * sizeof *ints);
      st = siqaco_samples_copy_int32(samples, i, ints, n, &n);
      for (size_t k = 0; k < n; k++) values[k] = (double)ints[k];
    } else {
      st = siqaco_samples_copy_float64(samples, i, values, n, &n);
    }
    if (st != SIQACO_STATUS_OK) {
      rc = fail("siqaco_samples_copy", st);
      goto done;
    }
    double sum = 0, lo = n ? values[0] : 0, hi = n ? values[0] : 0;
    for (size_t k = 0; k < n; k++) {
      sum += values[k];
      if (values[k] < lo) lo = values[k];
      if (values[k] > hi) hi = values[k];
    }
    char start[SIQACO_TIME_TEXT_CAPACITY], end[SIQACO_TIME_TEXT_CAPACITY];
    format_time(seg.start_ns, start, sizeof start);
    format_time(seg.end_ns, end, sizeof end);
    printf("%s %s %s %zu %.3f %.3f %.3f\n", seg.nslc, start, end, n, sum, lo, hi);
  }
done:
  free(values);
  free(ints);
  siqaco_samples_free(samples);
  siqaco_archive_free(archive);
  return rc;
}
