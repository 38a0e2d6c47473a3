//! [`Window`]: the time window of an operation, and its three rules.

use crate::error::{Error, Result};

/// A time window `[start_ns, end_ns)`: ns since 1970-01-01 UTC, end exclusive.
///
/// The constructors are the three rules the operations use; each takes the request's
/// `start_ns` and `end_ns` fields and names them in its errors:
///
/// | rule | operations | neither given | one given |
/// |---|---|---|---|
/// | [`Window::open_ended`] | scan, read, index, stats, report | no window | the other side open |
/// | [`Window::up_to_now`] | qc | no window | a start alone ends now; an end needs a start |
/// | [`Window::both_or_neither`] | update, fetch | the configured window | refused |
///
/// An open side reaches [`Window::OPEN_START`] or [`Window::OPEN_END`] (far beyond any
/// data, and far from `i64` overflow when durations are added).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// Start, ns since 1970-01-01 UTC (inclusive).
    pub start_ns: i64,
    /// End, ns since 1970-01-01 UTC (exclusive); after the start.
    pub end_ns: i64,
}

impl Window {
    /// The start of a window whose start was not given (about 585 years before 1970).
    pub const OPEN_START: i64 = i64::MIN / 4;
    /// The end of a window whose end was not given (about 585 years after 1970).
    pub const OPEN_END: i64 = i64::MAX / 4;

    /// A window from both ends.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for `end_ns` when it is not after `start_ns`.
    pub fn new(start_ns: i64, end_ns: i64) -> Result<Window> {
        if end_ns <= start_ns {
            return Err(Error::field("end_ns", "must be after the start"));
        }
        Ok(Window { start_ns, end_ns })
    }

    /// The open-ended rule (scan, read, index, stats, report): `None` when neither end is
    /// given; an end not given is open.
    ///
    /// # Errors
    /// As [`Window::new`].
    pub fn open_ended(start_ns: Option<i64>, end_ns: Option<i64>) -> Result<Option<Window>> {
        match (start_ns, end_ns) {
            (None, None) => Ok(None),
            (s, e) => Window::new(
                s.unwrap_or(Window::OPEN_START),
                e.unwrap_or(Window::OPEN_END),
            )
            .map(Some),
        }
    }

    /// The up-to-now rule (qc): `None` when neither end is given; a start alone ends at
    /// `now_ns`; an end needs a start (a check "until" a time, from the beginning of
    /// everything, is almost always a mistake).
    ///
    /// # Errors
    /// [`Error::InvalidField`] for `end_ns` given without `start_ns`, or as [`Window::new`].
    pub fn up_to_now(
        start_ns: Option<i64>,
        end_ns: Option<i64>,
        now_ns: i64,
    ) -> Result<Option<Window>> {
        match (start_ns, end_ns) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(Error::field("end_ns", "an end needs a start")),
            (Some(s), e) => Window::new(s, e.unwrap_or(now_ns)).map(Some),
        }
    }

    /// The both-or-neither rule (update, fetch): `None` when neither end is given (the
    /// operation then uses its configured window); one end alone is refused.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the missing end, or as [`Window::new`].
    pub fn both_or_neither(start_ns: Option<i64>, end_ns: Option<i64>) -> Result<Option<Window>> {
        match (start_ns, end_ns) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(Error::field(
                "end_ns",
                "missing: give both ends of the window or neither",
            )),
            (None, Some(_)) => Err(Error::field(
                "start_ns",
                "missing: give both ends of the window or neither",
            )),
            (Some(s), Some(e)) => Window::new(s, e).map(Some),
        }
    }

    /// The window as the `(start_ns, end_ns)` pair of the lower-level options.
    pub fn pair(self) -> (i64, i64) {
        (self.start_ns, self.end_ns)
    }

    /// The pair of an optional window.
    pub fn pair_of(window: Option<Window>) -> Option<(i64, i64)> {
        window.map(Window::pair)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_rules() {
        assert_eq!(Window::open_ended(None, None).unwrap(), None);
        let w = Window::open_ended(Some(10), None).unwrap().unwrap();
        assert_eq!((w.start_ns, w.end_ns), (10, Window::OPEN_END));
        let w = Window::open_ended(None, Some(10)).unwrap().unwrap();
        assert_eq!((w.start_ns, w.end_ns), (Window::OPEN_START, 10));
        assert_eq!(
            Window::open_ended(Some(10), Some(10))
                .unwrap_err()
                .field_name(),
            Some("end_ns")
        );

        assert_eq!(Window::up_to_now(None, None, 50).unwrap(), None);
        assert_eq!(
            Window::up_to_now(Some(10), None, 50).unwrap(),
            Some(Window::new(10, 50).unwrap())
        );
        let e = Window::up_to_now(None, Some(20), 50).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid argument: end_ns: an end needs a start"
        );
        assert_eq!(
            Window::up_to_now(Some(60), None, 50)
                .unwrap_err()
                .field_name(),
            Some("end_ns")
        );

        assert_eq!(Window::both_or_neither(None, None).unwrap(), None);
        assert_eq!(
            Window::both_or_neither(Some(1), None)
                .unwrap_err()
                .field_name(),
            Some("end_ns")
        );
        assert_eq!(
            Window::both_or_neither(None, Some(1))
                .unwrap_err()
                .field_name(),
            Some("start_ns")
        );
        assert_eq!(
            Window::both_or_neither(Some(1), Some(2)).unwrap(),
            Some(Window::new(1, 2).unwrap())
        );
    }
}
