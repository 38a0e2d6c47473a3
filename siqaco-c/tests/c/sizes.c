/* Prints the size of every structure of siqaco.h, one "NAME SIZE" per line; scripts/test-c
 * diffs it with fortran/sizes.f90 (c_sizeof of the bind(C) types of siqaco.f90), so that a
 * structure changed in the header but not in the Fortran module fails the test. */
#include <stdio.h>

#include "siqaco.h"

#define SIZE(t) printf("%s %zu\n", #t, sizeof(t))

int main(void) {
  SIZE(siqaco_stream);
  SIZE(siqaco_segment);
  SIZE(siqaco_gap);
  SIZE(siqaco_overlap);
  SIZE(siqaco_day);
  SIZE(siqaco_sample_segment);
  SIZE(siqaco_index_report);
  SIZE(siqaco_stream_extent);
  SIZE(siqaco_stored_day);
  SIZE(siqaco_merge_summary);
  SIZE(siqaco_merge_day);
  SIZE(siqaco_update_summary);
  return 0;
}
