//! Leap seconds and the one sample-time rule, libmseed's `ms_sampletime`.

use super::NS_PER_S;

/// The leap seconds of libmseed's embedded table (`embedded_leapsecondlist` in
/// `genutils.c`, 3.1.3 and 3.5.4 alike), as libmseed stores them: seconds since the NTP
/// epoch (1900-01-01) of 00:00:00 of the day after each inserted second, from 1972-01-01
/// to 2017-01-01.
const LEAP_SECONDS_NTP: [i64; 28] = [
    2272060800, 2287785600, 2303683200, 2335219200, 2366755200, 2398291200, 2429913600, 2461449600,
    2492985600, 2524521600, 2571782400, 2603318400, 2634854400, 2698012800, 2776982400, 2840140800,
    2871676800, 2918937600, 2950473600, 2982009600, 3029443200, 3076704000, 3124137600, 3345062400,
    3439756800, 3550089600, 3644697600, 3692217600,
];

/// Seconds from the NTP epoch (1900-01-01) to the POSIX epoch (1970-01-01).
const NTP_POSIX_DELTA: i64 = 2_208_988_800;

/// The last leap second of [`LEAP_SECONDS_NTP`], in POSIX ns.
const LAST_LEAP_NS: i64 =
    (LEAP_SECONDS_NTP[LEAP_SECONDS_NTP.len() - 1] - NTP_POSIX_DELTA) * NS_PER_S;

/// The leap seconds of the table in POSIX ns (00:00:00 after each inserted second).
fn leap_seconds_ns() -> impl Iterator<Item = i64> {
    LEAP_SECONDS_NTP
        .iter()
        .map(|ntp| (ntp - NTP_POSIX_DELTA) * NS_PER_S)
}

/// The time, in ns since 1970 UTC, of sample `offset` (0 = the first) of a series whose
/// first sample is at `start_ns`: the one sample-time rule of siqaco, used for record end
/// times, record coverage, reading, merging, repacking and every test oracle.
///
/// The rule is libmseed's `ms_sampletime` (3.5.4, `genutils.c`), which libmseed itself
/// uses for `msr3_endtime`, for the start times of the records it packs (`msr3_pack`) and
/// for its trace lists, with its embedded leap-second table (pymseed's `sample_time` is
/// this function):
///
/// * `samprate` is libmseed's raw rate: Hz when positive, minus the sample period in
///   seconds when negative (a miniSEED 3 header's form), 0 for no rate; a rate in Hz
///   ([`RecordHeader::sample_rate_hz`](crate::record::RecordHeader::sample_rate_hz)) is
///   a valid `samprate`.
/// * The span is `offset / rate × 10⁹ + 0.5` (or `offset × period × 10⁹ + 0.5`) computed
///   in `f64` and truncated to whole nanoseconds; 0 when `offset ≤ 0` or the rate is 0.
/// * Then one second is subtracted for each leap second of libmseed's table (1972-01-01
///   to 2017-01-01) that lies after `start_ns` and no later than the result minus one
///   second: times are POSIX (no leap-second count), so a series that runs through an
///   inserted second 23:59:60 covers one POSIX second less. 1 Hz data starting
///   2016-12-31T23:59:30 has its 60th sample at 2017-01-01T00:00:28, not :29. libmseed
///   3.1.3 subtracts at most one second, which differs only for spans of more than six
///   months that contain two leap seconds.
///
/// ObsPy ignores leap seconds (`starttime + offset / sampling_rate`); the two agree for
/// every series that does not contain a leap second. Results beyond the `i64` range
/// saturate (libmseed returns an error value there).
pub fn sample_time(start_ns: i64, offset: i64, samprate: f64) -> i64 {
    let mut span: i64 = 0;
    if offset > 0 {
        let s = if samprate > 0.0 {
            offset as f64 / samprate * NS_PER_S as f64 + 0.5
        } else if samprate < 0.0 {
            offset as f64 * -samprate * NS_PER_S as f64 + 0.5
        } else {
            0.0
        };
        span = s as i64; // saturating, NaN -> 0
    }
    // No leap second of the table can lie inside a span that starts after the last one.
    if span > NS_PER_S && start_ns < LAST_LEAP_NS {
        for leap in leap_seconds_ns() {
            if leap > start_ns && leap + NS_PER_S <= start_ns.saturating_add(span) {
                span -= NS_PER_S;
            }
        }
    }
    start_ns.saturating_add(span)
}

/// Whether a leap second of libmseed's table lies in `(start_ns, end_ns]`: the sample times
/// of a series starting at `start_ns` then step back one second there ([`sample_time`]),
/// so they do not increase monotonically up to `end_ns`.
pub fn leap_second_within(start_ns: i64, end_ns: i64) -> bool {
    start_ns < LAST_LEAP_NS && leap_seconds_ns().any(|leap| leap > start_ns && leap <= end_ns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_time;

    const NS: i64 = NS_PER_S;

    #[test]
    fn sample_time_leap_second() {
        let t0 = parse_time("2016-12-31T23:59:30").unwrap();
        // 59 periods of 1 s span the leap second inserted at the end of 2016-12-31.
        assert_eq!(
            sample_time(t0, 59, 1.0),
            parse_time("2017-01-01T00:00:28").unwrap()
        );
        assert_eq!(sample_time(t0, 29, 1.0), t0 + 29 * NS);
        assert_eq!(sample_time(t0, 30, 1.0), t0 + 30 * NS); // ends exactly at the leap
        assert_eq!(sample_time(t0, 31, 1.0), t0 + 30 * NS); // 23:59:60 == 00:00:00
        assert_eq!(sample_time(t0, 10, -2.0), t0 + 20 * NS); // negative = period
        assert_eq!(sample_time(t0, 10, 0.0), t0);
        assert!(leap_second_within(t0, t0 + 30 * NS));
        assert!(!leap_second_within(t0, t0 + 30 * NS - 1));
        assert!(!leap_second_within(LAST_LEAP_NS, i64::MAX));
    }

    #[test]
    fn a_span_loses_one_second_per_leap_second() {
        // 2015-06-30 to 2017-01-02 contains the leap seconds of 2015-06-30 and 2016-12-31:
        // libmseed 3.5.4 (pymseed 1.0.1 `sample_time`) gives a span two seconds short,
        // libmseed 3.1.3 one second.
        let t0 = parse_time("2015-06-30").unwrap();
        let n = (parse_time("2017-01-02").unwrap() - t0) / NS;
        assert_eq!(sample_time(t0, n, 1.0), t0 + (n - 2) * NS);
        assert_eq!(sample_time(t0, n, -1.0), t0 + (n - 2) * NS);
    }

    #[test]
    fn table_is_libmseeds() {
        // The first and last entries: 1972-01-01 and 2017-01-01, 00:00:00 UTC.
        let all: Vec<i64> = leap_seconds_ns().collect();
        assert_eq!(all[0], parse_time("1972-01-01").unwrap());
        assert_eq!(LAST_LEAP_NS, parse_time("2017-01-01").unwrap());
        assert!(all.windows(2).all(|w| w[0] < w[1]));
    }
}
