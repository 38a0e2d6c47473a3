/*
 * scan_gaps: scan a miniSEED archive with libsiqaco and print its gaps, one per line:
 *
 *   NSLC START END DURATION_S MISSING_SAMPLES LAST_SAMPLE NEXT_SAMPLE EDGE
 *
 * START/END are the gap's bounds (previous segment end, next segment start), LAST_SAMPLE/
 * NEXT_SAMPLE the samples around it ("-" for an edge gap), times as ISO 8601 UTC with
 * microseconds (nanoseconds when needed), as `siqaco scan --format json` prints them; EDGE is "-", "head" or "tail".
 *
 * Usage: scan_gaps [ROOT [LAYOUT [START_NS END_NS]]]
 *   (default tests/data/sds-small from the repository root, sds, no window; with a window [START_NS, END_NS),
 *   nanoseconds since 1970, the gaps at its edges are listed too)
 * Build: cc scan_gaps.c $(pkg-config --cflags --libs siqaco) -o scan_gaps
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

/* Prints the failed call, its status and the thread's last error message. */
static int fail(const char *what, siqaco_status st) {
  char msg[1024];
  size_t n = 0;
  if (siqaco_last_error_message(msg, sizeof msg, &n) != SIQACO_STATUS_OK) msg[0] = '\0';
  fprintf(stderr, "scan_gaps: %s: %s (%u): %s\n", what, siqaco_status_str(st), st, msg);
  return 1;
}

int main(int argc, char **argv) {
  const char *root = argc > 1 ? argv[1] : "tests/data/sds-small";
  const char *layout = argc > 2 ? argv[2] : "sds";
  int64_t start_ns = argc > 4 ? strtoll(argv[3], NULL, 10) : SIQACO_TIME_UNSET;
  int64_t end_ns = argc > 4 ? strtoll(argv[4], NULL, 10) : SIQACO_TIME_UNSET;
  siqaco_archive *archive = NULL;
  siqaco_report *report = NULL;
  siqaco_status st;
  int rc = 0;

  if ((st = siqaco_archive_open(root, layout, &archive)) != SIQACO_STATUS_OK)
    return fail("siqaco_archive_open", st);
  st = siqaco_archive_scan(archive, NULL, start_ns, end_ns, &report);
  if (st != SIQACO_STATUS_OK) {
    rc = fail("siqaco_archive_scan", st);
    goto done;
  }

  size_t nstreams = 0, ngaps = 0;
  siqaco_report_stream_count(report, &nstreams);
  for (size_t i = 0; i < nstreams; i++) {
    siqaco_stream stream;
    if ((st = siqaco_report_stream(report, i, &stream)) != SIQACO_STATUS_OK) {
      rc = fail("siqaco_report_stream", st);
      goto done;
    }
    for (size_t j = 0; j < stream.gap_count; j++) {
      siqaco_gap gap;
      if ((st = siqaco_report_gap(report, i, j, &gap)) != SIQACO_STATUS_OK) {
        rc = fail("siqaco_report_gap", st);
        goto done;
      }
      char start[SIQACO_TIME_TEXT_CAPACITY], end[SIQACO_TIME_TEXT_CAPACITY], last[SIQACO_TIME_TEXT_CAPACITY],
          next[SIQACO_TIME_TEXT_CAPACITY];
      format_time(gap.start_ns, start, sizeof start);
      format_time(gap.end_ns, end, sizeof end);
      format_time(gap.last_sample_ns, last, sizeof last);
      format_time(gap.next_sample_ns, next, sizeof next);
      const char *edge = gap.edge == SIQACO_EDGE_HEAD   ? "head"
                         : gap.edge == SIQACO_EDGE_TAIL ? "tail"
                                                        : "-";
      printf("%s %s %s %.6f %" PRId64 " %s %s %s\n", stream.nslc, start, end, gap.duration_s,
             gap.missing_samples, last, next, edge);
      ngaps++;
    }
  }

  size_t nerrors = 0;
  siqaco_report_error_count(report, &nerrors);
  fprintf(stderr, "scan_gaps: libsiqaco %s: %zu gap(s) in %zu stream(s), %zu unreadable file(s)\n",
          siqaco_version(), ngaps, nstreams, nerrors);

done:
  siqaco_report_free(report);
  siqaco_archive_free(archive);
  return rc;
}
