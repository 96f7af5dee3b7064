//! Instants in time, stored as whole seconds since the Unix epoch (UTC).

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// The time zone in which dates without a time are read and reports are shown.
pub(super) const LEDGER_TIME_ZONE: &str = "Europe/London";

/// Why a piece of text is not a usable date or time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{value:?} is not a date or time this tool can read ({reason}); write a date as 2024-03-03 \
     (midnight, UK time) or an instant as 2024-03-03T14:30:00Z or 2024-03-03T14:30:00+00:00"
)]
pub struct TimeError {
    /// The rejected text.
    pub value: String,
    /// What the parser said.
    pub reason: String,
}

/// The earliest calendar date accepted (docs/FORMAT.md, "Size limits").
pub const MIN_DATE: Date = jiff::civil::date(1, 1, 1);
/// The latest calendar date accepted (docs/FORMAT.md, "Size limits").
pub const MAX_DATE: Date = jiff::civil::date(9998, 12, 31);

fn out_of_range() -> String {
    format!("outside the range this tool accepts, {MIN_DATE} to {MAX_DATE}")
}

/// Reads a calendar date (`2024-03-03`), refusing one outside [`MIN_DATE`]..=[`MAX_DATE`].
pub fn parse_date(text: &str) -> Result<Date, TimeError> {
    let text = text.trim();
    let err = |reason: String| TimeError {
        value: text.to_owned(),
        reason,
    };
    let date: Date = text.parse().map_err(|e: jiff::Error| err(e.to_string()))?;
    if !(MIN_DATE..=MAX_DATE).contains(&date) {
        return Err(err(out_of_range()));
    }
    Ok(date)
}

/// An instant, in whole seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Serialize for Timestamp {
    /// RFC 3339 text in human-readable formats; a little-endian i64 in the binary encoding.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            Timestamp::parse(&text).map_err(serde::de::Error::custom)
        } else {
            i64::deserialize(d).map(Timestamp)
        }
    }
}

impl Timestamp {
    /// The current time from the system clock, truncated to whole seconds.
    pub fn now() -> Timestamp {
        Timestamp(jiff::Timestamp::now().as_second())
    }

    /// Reads an RFC 3339 instant (`2024-03-03T14:30:00Z`) or a calendar date (`2024-03-03`,
    /// meaning the start of that day in Europe/London).
    /// Anything outside [`Timestamp::MIN`]..=[`Timestamp::MAX`] is refused.
    pub fn parse(text: &str) -> Result<Timestamp, TimeError> {
        let text = text.trim();
        let err = |reason: String| TimeError {
            value: text.to_owned(),
            reason,
        };
        if text.len() == 10 {
            return Ok(Self::start_of_day(parse_date(text)?));
        }
        let ts: jiff::Timestamp = text.parse().map_err(|e: jiff::Error| err(e.to_string()))?;
        let ts = Timestamp(ts.as_second());
        if !(Timestamp::MIN..=Timestamp::MAX).contains(&ts) {
            return Err(err(out_of_range()));
        }
        Ok(ts)
    }

    /// The earliest instant accepted: 0001-01-01T00:00:00Z.
    pub const MIN: Timestamp = Timestamp(-62_135_596_800);
    /// The latest instant accepted: 9998-12-31T23:59:59Z. Dates and instants stop a year short
    /// of the calendar's end (9999-12-31) so that every report period, time zone shift and
    /// end-of-day still lies inside it.
    pub const MAX: Timestamp = Timestamp(253_370_764_799);

    /// Midnight at the start of `date` in Europe/London.
    pub fn start_of_day(date: Date) -> Timestamp {
        let zoned = date
            .to_zoned_datetime(london())
            .expect("every date in jiff's range has a start of day in Europe/London");
        Timestamp(zoned.timestamp().as_second())
    }

    /// The calendar date of this instant in Europe/London.
    pub fn london_date(self) -> Date {
        self.to_jiff().to_zoned_datetime(london()).date()
    }

    /// This instant as a `jiff::Timestamp` (clamped to jiff's range).
    pub fn to_jiff(self) -> jiff::Timestamp {
        let clamped = self.0.clamp(
            jiff::Timestamp::MIN.as_second(),
            jiff::Timestamp::MAX.as_second(),
        );
        jiff::Timestamp::from_second(clamped).expect("clamped into range")
    }

    /// Seconds from `self` to `later` (negative if `later` is earlier).
    pub fn seconds_until(self, later: Timestamp) -> i64 {
        later.0.saturating_sub(self.0)
    }

    /// This instant moved by `seconds`.
    pub fn plus_seconds(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds))
    }
}

/// The Europe/London time zone, from the bundled database so results never depend on the host.
pub(crate) fn london() -> TimeZone {
    TimeZone::get(LEDGER_TIME_ZONE)
        .expect("the tz database bundled into the binary has Europe/London")
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, e.g. `2024-03-03T14:30:00Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_jiff())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_are_the_dates_they_name() {
        let min: jiff::Timestamp = "0001-01-01T00:00:00Z".parse().unwrap();
        let max: jiff::Timestamp = "9998-12-31T23:59:59Z".parse().unwrap();
        assert_eq!(Timestamp::MIN.0, min.as_second());
        assert_eq!(Timestamp::MAX.0, max.as_second());
        // The extremes parse, and each date's start of day exists.
        assert!(Timestamp::parse("0001-01-01").is_ok());
        assert!(Timestamp::parse("9998-12-31").is_ok());
        assert!(Timestamp::parse("9999-12-31").is_err());
        assert!(Timestamp::parse("9999-01-01T00:00:00Z").is_err());
    }
}
