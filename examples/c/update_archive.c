/*
 * update_archive: keep an archive complete with libsiqaco: one run of `siqaco update` from a
 * configuration file (docs/configuration.md), or a run of the request stack (`siqaco stack
 * run`), then print the summary of the run, one "KEY VALUE" line per counter (the names of
 * `siqaco update --format json`; times in ns since 1970, "-" when unset):
 *
 *   window_start_ns 1267253400000000000
 *   ...
 *   requests_left 1
 *
 * Exit status as the CLI's: 0 the window is complete, 3 requests of the window are left
 * for retry or on hold, 2 configuration error, 1 other failure.
 *
 * Usage: update_archive CONFIG [--start NS --end NS] [--now NS] [--dry-run]
 *        update_archive CONFIG --stack
 *   --start/--end force the window (the CLI's --start/--end, as ns); --now computes the
 *   configuration's window at that time instead of the clock.
 * Build: cc update_archive.c $(pkg-config --cflags --libs siqaco) -o update_archive
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siqaco.h"

static int fail(const char *what, siqaco_status st) {
  char msg[4096];
  size_t n = 0;
  if (siqaco_last_error_message(msg, sizeof msg, &n) != SIQACO_STATUS_OK) msg[0] = '\0';
  fprintf(stderr, "update_archive: %s: %s (%u): %s\n", what, siqaco_status_str(st), st, msg);
  /* the CLI's exit status 2: the configuration (or an argument) is wrong */
  return st == SIQACO_STATUS_CONFIG || st == SIQACO_STATUS_INVALID_ARGUMENT ||
                 st == SIQACO_STATUS_INVALID_CODE
             ? 2
             : 1;
}

static void print_time(const char *key, int64_t t) {
  if (t == SIQACO_TIME_UNSET) printf("%s -\n", key);
  else printf("%s %" PRId64 "\n", key, t);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: update_archive CONFIG [--start NS --end NS] [--now NS] [--dry-run]\n"
                    "       update_archive CONFIG --stack\n");
    return 2;
  }
  const char *config = argv[1];
  int64_t start_ns = SIQACO_TIME_UNSET, end_ns = SIQACO_TIME_UNSET, now_ns = SIQACO_TIME_UNSET;
  int dry_run = 0, stack = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--dry-run") == 0) dry_run = 1;
    else if (strcmp(argv[i], "--stack") == 0) stack = 1;
    else if (strcmp(argv[i], "--start") == 0 && i + 1 < argc) start_ns = strtoll(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--end") == 0 && i + 1 < argc) end_ns = strtoll(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) now_ns = strtoll(argv[++i], NULL, 10);
    else {
      fprintf(stderr, "update_archive: unknown argument %s\n", argv[i]);
      return 2;
    }
  }

  siqaco_update_options *options = NULL;
  siqaco_update_summary s;
  siqaco_status st;
  int rc = 0;
  if (stack) {
    st = siqaco_stack_run(config, &s);
    if (st != SIQACO_STATUS_OK) return fail("siqaco_stack_run", st);
  } else {
    if ((st = siqaco_update_options_new(&options)) != SIQACO_STATUS_OK)
      return fail("siqaco_update_options_new", st);
    if ((st = siqaco_update_options_set_window(options, start_ns, end_ns)) != SIQACO_STATUS_OK ||
        (st = siqaco_update_options_set_now(options, now_ns)) != SIQACO_STATUS_OK ||
        (st = siqaco_update_options_set_dry_run(options, (uint32_t)dry_run)) != SIQACO_STATUS_OK) {
      rc = fail("siqaco_update_options_set_*", st);
      goto done;
    }
    if ((st = siqaco_update_run(config, options, &s)) != SIQACO_STATUS_OK) {
      rc = fail("siqaco_update_run", st);
      goto done;
    }
  }

  print_time("window_start_ns", s.window_start_ns);
  print_time("window_end_ns", s.window_end_ns);
  printf("streams_checked %" PRIu64 "\n", s.streams_checked);
  printf("gaps_found %" PRIu64 "\n", s.gaps_found);
  printf("requests_created %" PRIu64 "\n", s.requests_created);
  printf("requests_sent %" PRIu64 "\n", s.requests_sent);
  printf("requests_succeeded %" PRIu64 "\n", s.requests_succeeded);
  printf("requests_failed %" PRIu64 "\n", s.requests_failed);
  printf("samples_added %" PRIu64 "\n", s.samples_added);
  printf("requests_left %" PRIu64 "\n", s.requests_left);
  printf("planned_count %" PRIu64 "\n", s.planned_count);
  printf("warning_count %" PRIu64 "\n", s.warning_count);
  printf("dry_run %u\n", s.dry_run);
  rc = s.requests_left > 0 && !s.dry_run ? 3 : 0;

done:
  siqaco_update_options_free(options);
  return rc;
}
