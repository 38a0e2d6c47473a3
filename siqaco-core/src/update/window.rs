//! The analysis window (Morumotto's `analysis_window`, `archive/update.py` of
//! `IPGP/morumotto` at `976b018`): with granularity G (an hour or a UTC day), window length W, latency L and
//! frequency F in units of G,
//!
//! ```text
//! start = floor_G(now) − (L + W)·G      end = start + W·G
//! ```
//!
//! F is how often cron runs the update; with W > F every slice of time is analysed about
//! W/F times, so data that reaches a source late is still fetched. All arithmetic is in
//! nanoseconds since 1970 UTC, so year ends and leap years need no special case (Morumotto
//! built day lists from calendar fields and dropped days there).

use crate::time::{NS_PER_DAY, NS_PER_S};

/// The unit of the window fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// One hour, aligned to the UTC hour.
    Hour,
    /// One UTC day, aligned to 00:00 UTC.
    Day,
}

impl Granularity {
    /// The length of one unit, ns.
    pub fn unit_ns(self) -> i64 {
        match self {
            Granularity::Hour => 3600 * NS_PER_S,
            Granularity::Day => NS_PER_DAY,
        }
    }
}

/// `[window]` of the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowSpec {
    /// Unit of the other fields.
    pub granularity: Granularity,
    /// F: how often the update runs (sets the cron schedule, see [`WindowSpec::cron`]).
    pub frequency: u32,
    /// W: window length.
    pub length: u32,
    /// L: latency, how long before now the window ends.
    pub latency: u32,
}

impl WindowSpec {
    /// The window `[start_ns, end_ns)` for a run at `now_ns` (ns since 1970 UTC).
    pub fn window_at(&self, now_ns: i64) -> (i64, i64) {
        let unit = self.granularity.unit_ns();
        let floor = now_ns.div_euclid(unit) * unit;
        let start = floor - i64::from(self.latency + self.length) * unit;
        (start, start + i64::from(self.length) * unit)
    }

    /// The cron schedule Morumotto writes for this window (`0 */F * * *` hourly,
    /// `0 0 */F * *` daily).
    pub fn cron(&self) -> String {
        match self.granularity {
            Granularity::Hour => format!("0 */{} * * *", self.frequency),
            Granularity::Day => format!("0 0 */{} * *", self.frequency),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{format_time, parse_time};

    fn w(g: Granularity, f: u32, len: u32, lat: u32, now: &str) -> (String, String) {
        let spec = WindowSpec {
            granularity: g,
            frequency: f,
            length: len,
            latency: lat,
        };
        let (s, e) = spec.window_at(parse_time(now).unwrap());
        (format_time(s), format_time(e))
    }

    /// Hand-worked: 2024-03-01T00:30 hourly, W=2, L=1: floor 00:00, start = 00:00 − 3 h =
    /// 2024-02-29T21:00 (a leap day), end 23:00.
    #[test]
    fn hourly_across_leap_day() {
        assert_eq!(
            w(Granularity::Hour, 1, 2, 1, "2024-03-01T00:30:00"),
            (
                "2024-02-29T21:00:00.000000Z".into(),
                "2024-02-29T23:00:00.000000Z".into()
            )
        );
    }

    /// Hand-worked: 2025-01-01T01:59:59.999 hourly, W=3, L=1: floor 01:00, start = 01:00 −
    /// 4 h = 2024-12-31T21:00, end 2025-01-01T00:00 (exclusive).
    #[test]
    fn hourly_across_year_end() {
        assert_eq!(
            w(Granularity::Hour, 1, 3, 1, "2025-01-01T01:59:59.999"),
            (
                "2024-12-31T21:00:00.000000Z".into(),
                "2025-01-01T00:00:00.000000Z".into()
            )
        );
    }

    /// Hand-worked: daily at 2025-01-02T10:00, W=2, L=1: midnight 01-02, start = 01-02 −
    /// 3 days = 2024-12-30, end 2025-01-01: the last two days of 2024 (days 365 and 366).
    #[test]
    fn daily_across_leap_year_end() {
        assert_eq!(
            w(Granularity::Day, 1, 2, 1, "2025-01-02T10:00:00"),
            (
                "2024-12-30T00:00:00.000000Z".into(),
                "2025-01-01T00:00:00.000000Z".into()
            )
        );
        // Day of year of the window's days, as SDS file names need them.
        let spec = WindowSpec {
            granularity: Granularity::Day,
            frequency: 1,
            length: 2,
            latency: 1,
        };
        let (s, e) = spec.window_at(parse_time("2025-01-02T10:00:00").unwrap());
        let days: Vec<(i32, u32)> = (0..)
            .map(|k| s + k * NS_PER_DAY)
            .take_while(|d| *d < e)
            .map(crate::time::year_doy)
            .collect();
        assert_eq!(days, vec![(2024, 365), (2024, 366)]);
    }

    /// Hand-worked: daily at 2023-03-01T00:00:00 exactly (no leap day in 2023), W=1, L=0:
    /// the window is 2023-02-28.
    #[test]
    fn daily_at_midnight_non_leap() {
        assert_eq!(
            w(Granularity::Day, 1, 1, 0, "2023-03-01T00:00:00"),
            (
                "2023-02-28T00:00:00.000000Z".into(),
                "2023-03-01T00:00:00.000000Z".into()
            )
        );
    }

    /// Hand-worked: daily at 2021-01-05T23:59, W=7, L=0: 2020-12-29 .. 2021-01-05, every
    /// day present (Morumotto's `datelist` dropped the last day across partial days).
    #[test]
    fn daily_week_across_year_end_has_every_day() {
        let spec = WindowSpec {
            granularity: Granularity::Day,
            frequency: 1,
            length: 7,
            latency: 0,
        };
        let (s, e) = spec.window_at(parse_time("2021-01-05T23:59:00").unwrap());
        let days: Vec<(i32, u32)> = (0..)
            .map(|k| s + k * NS_PER_DAY)
            .take_while(|d| *d < e)
            .map(crate::time::year_doy)
            .collect();
        assert_eq!(
            days,
            vec![
                (2020, 364),
                (2020, 365),
                (2020, 366),
                (2021, 1),
                (2021, 2),
                (2021, 3),
                (2021, 4)
            ]
        );
    }

    /// Before 1970 the floor still rounds down.
    #[test]
    fn hourly_before_1970() {
        assert_eq!(
            w(Granularity::Hour, 1, 1, 0, "1969-12-31T23:30:00"),
            (
                "1969-12-31T22:00:00.000000Z".into(),
                "1969-12-31T23:00:00.000000Z".into()
            )
        );
    }

    #[test]
    fn cron_lines() {
        let mut spec = WindowSpec {
            granularity: Granularity::Hour,
            frequency: 2,
            length: 2,
            latency: 1,
        };
        assert_eq!(spec.cron(), "0 */2 * * *");
        spec.granularity = Granularity::Day;
        assert_eq!(spec.cron(), "0 0 */2 * *");
    }
}
