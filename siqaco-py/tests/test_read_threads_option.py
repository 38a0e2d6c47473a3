"""siqaco.read(threads=...): the read's own pool of threads (headers, decoding, joining of
traces) gives the same arrays as the default pool; fewer than one thread is refused,
naming the field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import siqaco


def test_threads_give_the_same_segments(sds_small: Path) -> None:
    default = siqaco.read(sds_small)
    assert default
    for threads in (1, 2):
        segments = siqaco.read(sds_small, threads=threads)
        assert [(s.nslc, s.start_ns, s.sample_rate_hz) for s in segments] == [
            (s.nslc, s.start_ns, s.sample_rate_hz) for s in default
        ]
        for a, b in zip(segments, default):
            assert a.data.dtype == b.data.dtype
            np.testing.assert_array_equal(a.data, b.data)


def test_zero_threads_is_refused(sds_small: Path) -> None:
    with pytest.raises(siqaco.InvalidArgumentError, match="threads"):
        siqaco.read(sds_small, threads=0)
