/* A program that leaks a handle of libsiqaco on purpose: scripts/test-c expects
 * AddressSanitizer's leak check to fail on it, which shows that the ASan build sees the
 * memory the Rust library allocates (not only the C side's). */
#include <stdio.h>

#include "siqaco.h"

int main(int argc, char **argv) {
  siqaco_archive *archive = NULL;
  if (argc != 2 || siqaco_archive_open(argv[1], "sds", &archive) != SIQACO_STATUS_OK) return 2;
  archive = NULL; /* the handle is lost, never freed */
  printf("leaked one siqaco_archive\n");
  return 0;
}
