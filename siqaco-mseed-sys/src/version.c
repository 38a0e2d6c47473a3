/* The libmseed release compiled into this library (siqaco-mseed-sys,
 * siqaco_mseed_sys::libmseed_version). libmseed 3.5 has no function that returns it. */
#include "libmseed.h"

const char *
siqaco_mseed_libmseed_version (void)
{
  return LIBMSEED_VERSION;
}
