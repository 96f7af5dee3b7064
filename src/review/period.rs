//! Calendar periods in Europe/London: months, quarters and years.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// How a review groups disclosures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Calendar months.
    Month,
    /// Calendar quarters (Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec).
    Quarter,
    /// Calendar years.
    Year,
}

impl Period {
    /// Reads `month`, `quarter` or `year`.
    pub fn parse(text: &str) -> Option<Period> {
        match text {
            "month" => Some(Period::Month),
            "quarter" => Some(Period::Quarter),
            "year" => Some(Period::Year),
            _ => None,
        }
    }

    /// The first day of the period containing `date`.
    pub fn start_of(self, date: Date) -> Date {
        match self {
            Period::Month => date.first_of_month(),
            Period::Quarter => {
                let month = (date.month() - 1) / 3 * 3 + 1;
                Date::new(date.year(), month, 1).expect("valid quarter start")
            }
            Period::Year => date.first_of_year(),
        }
    }

    /// The first day of the next period after the one starting at `start`.
    pub fn next(self, start: Date) -> Date {
        let span = match self {
            Period::Month => 1.month(),
            Period::Quarter => 3.months(),
            Period::Year => 1.year(),
        };
        start.checked_add(span).expect("dates stay in range")
    }

    /// The first day of the period before the one starting at `start`.
    pub fn previous(self, start: Date) -> Date {
        let span = match self {
            Period::Month => 1.month(),
            Period::Quarter => 3.months(),
            Period::Year => 1.year(),
        };
        start.checked_sub(span).expect("dates stay in range")
    }

    /// A label for the period starting at `start`: `2024-03`, `2024-Q1`, `2024`.
    pub fn label(self, start: Date) -> String {
        match self {
            Period::Month => format!("{}-{:02}", start.year(), start.month()),
            Period::Quarter => format!("{}-Q{}", start.year(), (start.month() - 1) / 3 + 1),
            Period::Year => format!("{}", start.year()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let d = Date::constant(2024, 8, 17);
        assert_eq!(Period::Month.start_of(d), Date::constant(2024, 8, 1));
        assert_eq!(Period::Quarter.start_of(d), Date::constant(2024, 7, 1));
        assert_eq!(Period::Year.start_of(d), Date::constant(2024, 1, 1));
        assert_eq!(
            Period::Quarter.next(Date::constant(2024, 10, 1)),
            Date::constant(2025, 1, 1)
        );
        assert_eq!(
            Period::Quarter.previous(Date::constant(2024, 1, 1)),
            Date::constant(2023, 10, 1)
        );
        assert_eq!(
            Period::Quarter.label(Date::constant(2024, 10, 1)),
            "2024-Q4"
        );
        assert_eq!(Period::Month.label(Date::constant(2024, 3, 1)), "2024-03");
    }
}
