//! The calendar of record start times: broken-down UTC fields (year, day of year, hour,
//! minute, second, nanosecond; a SEED BTIME with nanoseconds) to POSIX nanoseconds, with
//! libmseed's validation (`ms_time2nstime`, libmseed 3.5.4 `genutils.c`).

use super::NS_PER_S;
use std::fmt;

/// First year libmseed accepts in a record start time (`ms_time2nstime`).
const FIRST_YEAR: u32 = 1678;
/// Last year libmseed accepts in a record start time (`ms_time2nstime`).
const LAST_YEAR: u32 = 2262;

/// Days from 1970-01-01 to January 1st of each year 1678..=2262 (proleptic Gregorian),
/// with the number of days of that year in the low bits: `days << 9 | ndays`.
const YEAR_TABLE: [i32; (LAST_YEAR - FIRST_YEAR + 1) as usize] = {
    let mut t = [0i32; (LAST_YEAR - FIRST_YEAR + 1) as usize];
    let mut i = 0;
    while i < t.len() {
        let y = FIRST_YEAR as i64 + i as i64;
        let y1 = y - 1;
        let days = 365 * (y - 1970) + (y1 / 4 - y1 / 100 + y1 / 400) - (492 - 19 + 4);
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let ndays = if leap { 366 } else { 365 };
        t[i] = ((days << 9) | ndays) as i32;
        i += 1;
    }
    t
};

/// A broken-down time field outside the range libmseed accepts ([`from_year_doy_hms`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeFieldError {
    /// The field: `year`, `day-of-year`, `hour`, `minute`, `second` or `nanosecond`
    /// (`year` also when the instant is past the `i64` range, early in 2262).
    pub field: &'static str,
    /// The value given for it.
    pub value: u32,
}

impl fmt::Display for TimeFieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}) is out of range", self.field, self.value)
    }
}

impl std::error::Error for TimeFieldError {}

/// The instant, in ns since 1970 UTC, of broken-down UTC fields: year, day of year
/// (1-based), hour, minute, second and nanosecond, as in a miniSEED 2 BTIME (whose 0.0001 s
/// fraction the caller turns into nanoseconds) or a miniSEED 3 header.
///
/// This is the one conversion of record start times, libmseed's `ms_time2nstime` (3.5.4):
/// year 1678–2262, a day that exists in that year, hour ≤ 23, minute ≤ 59, second ≤ 60
/// (a leap second: 23:59:60 is the same POSIX instant as 00:00:00 of the next day, as in
/// libmseed) and nanosecond ≤ 999 999 999.
///
/// # Errors
/// [`TimeFieldError`] naming the first field out of range, checked in the order above; the
/// year also when the instant does not fit in `i64` nanoseconds (after 2262-04-11).
#[inline(always)]
pub fn from_year_doy_hms(
    year: u32,
    doy: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanosecond: u32,
) -> Result<i64, TimeFieldError> {
    let fail = |field, value| Err(TimeFieldError { field, value });
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return fail("year", year);
    }
    let entry = YEAR_TABLE[(year - FIRST_YEAR) as usize];
    let ndays = (entry & 0x1ff) as u32;
    if doy < 1 || doy > ndays {
        return fail("day-of-year", doy);
    }
    if hour > 23 {
        return fail("hour", hour);
    }
    if minute > 59 {
        return fail("minute", minute);
    }
    if second > 60 {
        return fail("second", second);
    }
    if nanosecond > 999_999_999 {
        return fail("nanosecond", nanosecond);
    }
    let days = i64::from(entry >> 9) + i64::from(doy) - 1;
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    // The year range keeps this within i64 except at the very top of 2262.
    match secs
        .checked_mul(NS_PER_S)
        .and_then(|v| v.checked_add(i64::from(nanosecond)))
    {
        Some(ns) => Ok(ns),
        None => fail("year", year),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_time_matches_chrono() {
        for (y, d) in [
            (1678, 1),
            (1900, 60),
            (1970, 1),
            (2000, 366),
            (2016, 366),
            (2262, 1),
        ] {
            for (h, m, s) in [(0, 0, 0), (23, 59, 59), (12, 30, 60)] {
                let ours = from_year_doy_hms(y, d, h, m, s, 123).unwrap();
                let day = super::super::from_year_doy(y as i32, d).unwrap();
                let want =
                    day + (i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s)) * NS_PER_S + 123;
                assert_eq!(ours, want, "{y} {d} {h}:{m}:{s}");
            }
        }
        let err = |y, d, ns| from_year_doy_hms(y, d, 0, 0, 0, ns).unwrap_err().field;
        assert_eq!(err(2015, 366, 0), "day-of-year");
        assert_eq!(err(1677, 1, 0), "year");
        assert_eq!(err(2000, 1, 1_000_000_000), "nanosecond");
        assert_eq!(
            from_year_doy_hms(2000, 1, 0, 0, 61, 0).unwrap_err(),
            TimeFieldError {
                field: "second",
                value: 61
            }
        );
    }
}
