//! Strict text parsing shared by the C2SP formats: one way to write each value.

/// Parses an ASCII decimal with no sign and no leading zeros (other than `0` itself).
pub(crate) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_canonical() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("12"), Some(12));
        assert_eq!(parse_decimal("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "00",
            "012",
            "+12",
            "-1",
            " 1",
            "1 ",
            "1_0",
            "18446744073709551616",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?} accepted");
        }
    }
}
