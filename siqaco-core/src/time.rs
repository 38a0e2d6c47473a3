//! Time: `i64` nanoseconds since 1970-01-01T00:00:00 UTC, like libmseed's `nstime_t`.
//!
//! siqaco uses POSIX time (no leap-second count), as libmseed and ObsPy do. Parsing and
//! formatting of user times go through chrono. All functions here work in UTC only.
//!
//! The module holds every rule of time in siqaco:
//!
//! * the calendar of record start times, [`from_year_doy_hms`] (libmseed's
//!   `ms_time2nstime`: broken-down BTIME fields to nanoseconds, with its field checks);
//! * the one sample-time rule, [`sample_time`] (libmseed's `ms_sampletime`), with
//!   libmseed's leap-second table ([`leap_second_within`]);
//! * parsing and formatting of user times ([`parse_time`], [`format_time`]), days
//!   ([`day_floor`], [`year_doy`], [`from_year_doy`]) and unit conversions.
//!
//! # Leap seconds
//!
//! Times are POSIX nanoseconds (no leap-second count), like libmseed's `nstime_t`. Sample
//! times follow libmseed's `ms_sampletime`: when the span from the first sample to the
//! computed time contains a leap second of libmseed's embedded table (1972-01-01 …
//! 2017-01-01), the time is reduced by one second per leap second contained (3.5.4;
//! 3.1.3 subtracts at most one, which differs only for spans over six months). So 1 Hz data
//! starting 2016-12-31T23:59:30 with 60 samples ends at 2017-01-01T00:00:28, not :29, and
//! a record following it at 00:00:29 is contiguous, as libmseed and msi say (ObsPy would
//! report a one-second overlap). Record end times
//! ([`RecordHeader::end_ns`](crate::record::RecordHeader::end_ns)), reading, merging and
//! repacking all use [`sample_time`]; outside leap seconds it equals ObsPy's
//! `start + offset / rate`, rounded to the nanosecond.

mod calendar;
mod leap;

pub use calendar::{from_year_doy_hms, TimeFieldError};
pub use leap::{leap_second_within, sample_time};

use crate::error::{Error, Result};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// Nanoseconds in one second.
pub const NS_PER_S: i64 = 1_000_000_000;
/// Nanoseconds in one UTC day (86 400 s; leap seconds are not counted, as in POSIX time).
pub const NS_PER_DAY: i64 = 86_400 * NS_PER_S;

/// Converts a duration in nanoseconds to seconds.
pub fn ns_to_s(ns: i64) -> f64 {
    ns as f64 / NS_PER_S as f64
}

/// Converts a duration in seconds to nanoseconds, rounding to the nearest nanosecond.
pub fn s_to_ns(s: f64) -> i64 {
    (s * NS_PER_S as f64).round() as i64
}

/// One sample period in nanoseconds (not rounded) for a sample rate in Hz.
///
/// Returns 0.0 for a rate of 0 (non-data records, which have no period).
pub fn period_ns(sample_rate_hz: f64) -> f64 {
    if sample_rate_hz > 0.0 {
        NS_PER_S as f64 / sample_rate_hz
    } else {
        0.0
    }
}

/// Half a sample period in nanoseconds, truncated (0 for a rate of 0): the tolerance
/// within which ObsPy's `get_flags` and availability joins treat records as adjacent.
pub fn half_period_ns(sample_rate_hz: f64) -> i64 {
    (period_ns(sample_rate_hz) / 2.0) as i64
}

/// Start of the UTC day that contains `ns` (floor to 00:00:00).
pub fn day_floor(ns: i64) -> i64 {
    ns.div_euclid(NS_PER_DAY) * NS_PER_DAY
}

fn to_datetime(ns: i64) -> NaiveDateTime {
    let secs = ns.div_euclid(NS_PER_S);
    let nsec = ns.rem_euclid(NS_PER_S) as u32;
    DateTime::from_timestamp(secs, nsec)
        .map(|d| d.naive_utc())
        .unwrap_or(NaiveDateTime::MIN)
}

/// Nanoseconds since 1970 of a UTC date-time; `None` outside the `i64` range (years
/// 1677..=2262).
fn from_naive(dt: NaiveDateTime) -> Option<i64> {
    let utc = dt.and_utc();
    utc.timestamp()
        .checked_mul(NS_PER_S)?
        .checked_add(i64::from(utc.timestamp_subsec_nanos()))
}

fn out_of_range(what: impl std::fmt::Display) -> Error {
    Error::invalid_argument(format!(
        "{what} is outside the representable range (years 1678 to 2261)"
    ))
}

/// The UTC (year, day of year) of an instant; day of year starts at 1.
pub fn year_doy(ns: i64) -> (i32, u32) {
    let d = to_datetime(ns);
    (d.year(), d.ordinal())
}

/// The UTC (year, month, day, hour, minute, second) of an instant.
pub fn civil(ns: i64) -> (i32, u32, u32, u32, u32, u32) {
    let d = to_datetime(ns);
    (
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second(),
    )
}

/// 00:00:00 UTC of day `doy` (1-based) of `year`.
///
/// # Errors
/// [`Error::InvalidArgument`] when the day does not exist in that year.
pub fn from_year_doy(year: i32, doy: u32) -> Result<i64> {
    let date = NaiveDate::from_yo_opt(year, doy)
        .ok_or_else(|| Error::invalid_argument(format!("no day {doy} in year {year}")))?;
    from_naive(date.and_time(NaiveTime::MIN)).ok_or_else(|| out_of_range(date))
}

/// The current time from the system clock, ns since 1970 UTC (0 if the clock is before
/// 1970).
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Formats an instant as ISO 8601 UTC with a `Z`: microsecond digits, or nanosecond digits
/// when the instant is not a whole microsecond (`2008-01-01T00:00:01.970000Z`).
pub fn format_time(ns: i64) -> String {
    let d = to_datetime(ns);
    let sub = ns.rem_euclid(NS_PER_S);
    if sub % 1000 == 0 {
        format!("{}.{:06}Z", d.format("%Y-%m-%dT%H:%M:%S"), sub / 1000)
    } else {
        format!("{}.{:09}Z", d.format("%Y-%m-%dT%H:%M:%S"), sub)
    }
}

/// Formats the UTC date of an instant as `YYYY-MM-DD`.
pub fn format_date(ns: i64) -> String {
    to_datetime(ns).format("%Y-%m-%d").to_string()
}

/// Parses a time given by a user.
///
/// Accepted forms (all UTC): ISO 8601 `YYYY-MM-DDTHH:MM:SS[.fffffffff]` with or without a
/// trailing `Z` or `+00:00`, a space instead of `T`, `YYYY-MM-DDTHH:MM`, a date alone
/// (`YYYY-MM-DD`, meaning 00:00:00), and SEED ordinal dates `YYYY-DDD`, `YYYY,DDD` and
/// `YYYY,DDD,HH:MM:SS[.f]`.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the text when it matches none of these forms.
pub fn parse_time(text: &str) -> Result<i64> {
    let bad = || {
        Error::invalid_argument(format!(
            "cannot parse time {text:?} (expected ISO 8601 such as 2024-01-02T03:04:05.5Z or a date 2024-01-02)"
        ))
    };
    let mut s = text.trim();
    if let Some(rest) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
        s = rest;
    } else if let Some(rest) = s.strip_suffix("+00:00") {
        s = rest;
    }
    if s.is_empty() {
        return Err(bad());
    }
    let iso = s.replacen(' ', "T", 1);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(&iso, fmt) {
            return from_naive(dt).ok_or_else(|| out_of_range(text));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return from_naive(d.and_time(NaiveTime::MIN)).ok_or_else(|| out_of_range(text));
    }
    // SEED ordinal forms.
    let seed = s.replace('-', ",");
    let mut parts = seed.splitn(3, ',');
    let (Some(y), Some(j)) = (parts.next(), parts.next()) else {
        return Err(bad());
    };
    if y.len() != 4 || j.is_empty() || j.len() > 3 || !j.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let year: i32 = y.parse().map_err(|_| bad())?;
    let doy: u32 = j.parse().map_err(|_| bad())?;
    let day = from_year_doy(year, doy).map_err(|_| bad())?;
    match parts.next() {
        None => Ok(day),
        Some(hms) => {
            let t = NaiveTime::parse_from_str(hms, "%H:%M:%S%.f").map_err(|_| bad())?;
            from_naive(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap().and_time(t))
                .and_then(|t| day.checked_add(t))
                .ok_or_else(|| out_of_range(text))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_beyond_i64_ns_are_errors_not_panics() {
        for t in [
            "2999-01-01",
            "1500-01-01T00:00:00",
            "2999,001",
            "2999,001,00:00:00",
        ] {
            let e = parse_time(t).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{t}");
        }
        assert!(parse_time("2262-01-01").is_ok());
    }

    #[test]
    fn parse_forms() {
        let t = parse_time("2008-01-01T00:00:01.97Z").unwrap();
        assert_eq!(format_time(t), "2008-01-01T00:00:01.970000Z");
        assert_eq!(parse_time("2008-01-01T00:00:01.97").unwrap(), t);
        assert_eq!(
            parse_time("2008-01-01 00:00:01.970000000+00:00").unwrap(),
            t
        );
        assert_eq!(parse_time("2008-01-01").unwrap(), 1_199_145_600 * NS_PER_S);
        assert_eq!(parse_time("2008-001").unwrap(), 1_199_145_600 * NS_PER_S);
        assert_eq!(parse_time("2008,001,00:00:01.97").unwrap(), t);
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2008-13-01").is_err());
        assert!(parse_time("").is_err());
    }

    #[test]
    fn format_nanoseconds_and_negative() {
        assert_eq!(format_time(1), "1970-01-01T00:00:00.000000001Z");
        assert_eq!(format_time(-1_000), "1969-12-31T23:59:59.999999Z");
        assert_eq!(format_date(-1), "1969-12-31");
        assert_eq!(day_floor(-1), -NS_PER_DAY);
    }

    #[test]
    fn ordinal_days() {
        let t = from_year_doy(2016, 366).unwrap();
        assert_eq!(year_doy(t), (2016, 366));
        assert_eq!(format_date(t), "2016-12-31");
        assert!(from_year_doy(2015, 366).is_err());
    }
}
