/*
 * merge_patch: merge miniSEED patch files into an archive with libsiqaco and print what was
 * done to each day file, in the text format of `siqaco merge`:
 *
 *   NSLC DATE PATH: added N replaced N overlaps_removed N (new file|rewritten|unchanged)
 *   N file(s) written          (or "dry run: nothing written")
 *
 * Usage: merge_patch ROOT [--dry-run] [--archive-wins|--archive-loses] [--by-start-time]
 *                    [--priority N]... INPUT...
 *   (as `siqaco merge --into ROOT ...`: one --priority per input, in order, or one for all;
 *   layout sds)
 * Build: cc merge_patch.c $(pkg-config --cflags --libs siqaco) -o merge_patch
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siqaco.h"

static int fail(const char *what, siqaco_status st) {
  char msg[1024];
  size_t n = 0;
  if (siqaco_last_error_message(msg, sizeof msg, &n) != SIQACO_STATUS_OK) msg[0] = '\0';
  fprintf(stderr, "merge_patch: %s: %s (%u): %s\n", what, siqaco_status_str(st), st, msg);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: merge_patch ROOT [--dry-run] [--archive-wins|--archive-loses] "
                    "[--by-start-time] [--priority N]... INPUT...\n");
    return 2;
  }
  const char *root = argv[1];
  const char **inputs = calloc((size_t)argc, sizeof *inputs);
  int32_t *priorities = calloc((size_t)argc, sizeof *priorities);
  size_t ninputs = 0, npriorities = 0;
  int dry_run = 0;
  uint32_t policy = SIQACO_POLICY_RANKED, split = SIQACO_SPLIT_MIDNIGHT;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--dry-run") == 0) dry_run = 1;
    else if (strcmp(argv[i], "--archive-wins") == 0) policy = SIQACO_POLICY_ARCHIVE_WINS;
    else if (strcmp(argv[i], "--archive-loses") == 0) policy = SIQACO_POLICY_ARCHIVE_LOSES;
    else if (strcmp(argv[i], "--by-start-time") == 0) split = SIQACO_SPLIT_START_TIME;
    else if (strcmp(argv[i], "--priority") == 0 && i + 1 < argc) priorities[npriorities++] = atoi(argv[++i]);
    else inputs[ninputs++] = argv[i];
  }
  if (npriorities == 1)
    for (size_t i = 1; i < ninputs; i++) priorities[i] = priorities[0];

  siqaco_merge_options *options = NULL;
  siqaco_merge_report *report = NULL;
  siqaco_status st;
  int rc = 0;
  if ((st = siqaco_merge_options_new(&options)) != SIQACO_STATUS_OK) {
    rc = fail("siqaco_merge_options_new", st);
    goto done;
  }
  if ((st = siqaco_merge_options_set_policy(options, policy, 1)) != SIQACO_STATUS_OK ||
      (st = siqaco_merge_options_set_day_split(options, split)) != SIQACO_STATUS_OK ||
      (st = siqaco_merge_options_set_dry_run(options, (uint32_t)dry_run)) != SIQACO_STATUS_OK) {
    rc = fail("siqaco_merge_options_set_*", st);
    goto done;
  }
  st = siqaco_merge_into(root, "sds", inputs, npriorities ? priorities : NULL, ninputs, options, &report);
  if (st != SIQACO_STATUS_OK) {
    rc = fail("siqaco_merge_into", st);
    goto done;
  }

  siqaco_merge_summary summary;
  siqaco_merge_report_summary(report, &summary);
  if (summary.recovered) printf("completed an interrupted earlier merge first\n");
  for (size_t i = 0; i < summary.day_count; i++) {
    siqaco_merge_day day;
    char path[4096];
    size_t len = 0;
    if ((st = siqaco_merge_report_day(report, i, &day)) != SIQACO_STATUS_OK ||
        (st = siqaco_merge_report_day_path(report, i, path, sizeof path, &len)) != SIQACO_STATUS_OK) {
      rc = fail("siqaco_merge_report_day", st);
      goto done;
    }
    time_t t = (time_t)(day.day_start_ns / 1000000000LL);
    struct tm tm;
    gmtime_r(&t, &tm);
    printf("%s %04d-%02d-%02d %s: added %" PRIu64 " replaced %" PRIu64 " overlaps_removed %" PRIu64
           " (%s)\n",
           day.nslc, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, path, day.samples_added,
           day.samples_replaced, day.overlaps_removed,
           !day.changed ? "unchanged" : day.created ? "new file" : "rewritten");
  }
  for (size_t i = 0; i < summary.warning_count; i++) {
    char text[4096];
    size_t len = 0;
    if (siqaco_merge_report_warning_text(report, i, text, sizeof text, &len) == SIQACO_STATUS_OK)
      fprintf(stderr, "warning: %s\n", text);
  }
  if (dry_run) printf("dry run: nothing written\n");
  else printf("%zu file(s) written\n", summary.files_written);

done:
  siqaco_merge_report_free(report);
  siqaco_merge_options_free(options);
  free(inputs);
  free(priorities);
  return rc;
}
