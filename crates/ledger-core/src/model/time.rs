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
    pub fn parse(text: &str) -> Result<Timestamp, TimeError> {
        let text = text.trim();
        let err = |reason: String| TimeError {
            value: text.to_owned(),
            reason,
        };
        if text.len() == 10 {
            let date: Date = text.parse().map_err(|e: jiff::Error| err(e.to_string()))?;
            return Ok(Self::start_of_day(date));
        }
        let ts: jiff::Timestamp = text.parse().map_err(|e: jiff::Error| err(e.to_string()))?;
        Ok(Timestamp(ts.as_second()))
    }

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
