//! The legal gateway a disclosure relies on (2024 statement §4), as a structured citation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A citation of a statutory provision, e.g. Communications Act 2003 s393(2)(a).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Citation {
    /// The short title of the Act without its year, e.g. `Communications Act`.
    pub act: String,
    /// The year of the Act, e.g. 2003.
    pub year: u16,
    /// The section, e.g. `393` or `241A`.
    pub section: String,
    /// Subsections and paragraphs in order, e.g. `["2", "a"]` for s393(2)(a).
    pub subsections: Vec<String>,
}

impl Citation {
    /// The provision without its subsections, e.g. `Communications Act 2003 s393`.
    pub fn section_citation(&self) -> String {
        format!("{} {} s{}", self.act, self.year, self.section)
    }

    /// Whether this citation lies within `other` (same Act and section, and `other`'s
    /// subsections are a prefix of ours): s132(2)(c) lies within s132(2) and s132.
    pub fn is_within(&self, other: &Citation) -> bool {
        self.act.eq_ignore_ascii_case(&other.act)
            && self.year == other.year
            && self.section.eq_ignore_ascii_case(&other.section)
            && other.subsections.len() <= self.subsections.len()
            && other
                .subsections
                .iter()
                .zip(&self.subsections)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }
}

impl fmt::Display for Citation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.section_citation())?;
        for sub in &self.subsections {
            write!(f, "({sub})")?;
        }
        Ok(())
    }
}

/// Why a gateway citation could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "gateway {text:?} does not parse: {reason}. Write a statutory gateway as \
     \"<Act> <year> s<section>(<subsection>)(<paragraph>)\", e.g. \"Communications Act 2003 s393(2)(a)\" \
     or \"Data Protection Act 2018 s132(2)(c)\"; consent as \"consent: <reference>\"; \
     anything else as \"other: <citation>\"; where no gateway is engaged (e.g. public-domain \
     information), \"not engaged: <reason>\""
)]
pub struct GatewayParseError {
    /// The rejected text.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl FromStr for Citation {
    type Err = GatewayParseError;

    fn from_str(text: &str) -> Result<Citation, GatewayParseError> {
        let err = |reason| GatewayParseError {
            text: text.to_owned(),
            reason,
        };
        let text = text.trim();
        let (head, provision) = text
            .rsplit_once(" s")
            .ok_or_else(|| err("no section: expected \" s<number>\" after the Act's year"))?;
        let (act, year) = head
            .trim()
            .rsplit_once(' ')
            .ok_or_else(|| err("expected the Act's title followed by its year"))?;
        let act = act.trim();
        if act.is_empty()
            || !act
                .chars()
                .all(|c| c.is_alphanumeric() || " '()-,".contains(c))
        {
            return Err(err("the Act's title is empty or has unexpected characters"));
        }
        let year: u16 = year
            .parse()
            .ok()
            .filter(|y| (1800..=2200).contains(y))
            .ok_or_else(|| err("the Act's year is not a four-digit year"))?;
        let (section, mut rest) = match provision.find('(') {
            Some(i) => provision.split_at(i),
            None => (provision, ""),
        };
        if section.is_empty() || !section.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(err(
                "the section number is empty or has unexpected characters",
            ));
        }
        if !section.as_bytes()[0].is_ascii_digit() {
            return Err(err("the section number must start with a digit"));
        }
        let mut subsections = Vec::new();
        while !rest.is_empty() {
            let inner = rest
                .strip_prefix('(')
                .and_then(|r| r.split_once(')'))
                .ok_or_else(|| err("subsections must be written as (2)(a), with no spaces"))?;
            let (sub, after) = inner;
            if sub.is_empty() || sub.len() > 8 || !sub.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(err(
                    "a subsection or paragraph is empty or not alphanumeric",
                ));
            }
            subsections.push(sub.to_owned());
            rest = after;
        }
        if subsections.len() > 6 {
            return Err(err("more than six levels of subsection"));
        }
        Ok(Citation {
            act: act.to_owned(),
            year,
            section: section.to_owned(),
            subsections,
        })
    }
}

/// The lawful basis relied on for a disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Gateway {
    /// A statutory gateway, e.g. Communications Act 2003 s393(2)(a).
    Statutory(Citation),
    /// Disclosure with the consent of the person the information is about; `reference` points
    /// to the record of that consent.
    Consent {
        /// Where the consent is recorded.
        reference: String,
    },
    /// Any other lawful basis, cited in free text.
    Other {
        /// The citation, as the disclosing regulator's lawyers wrote it.
        citation: String,
    },
    /// No information-sharing gateway is engaged (format 2 only), e.g. the information is
    /// already in the public domain so neither s393 nor s132 restricts it; `reason` says why.
    NotEngaged {
        /// Why no gateway is engaged.
        reason: String,
    },
}

impl fmt::Display for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gateway::Statutory(c) => write!(f, "{c}"),
            Gateway::Consent { reference } => write!(f, "consent: {reference}"),
            Gateway::Other { citation } => write!(f, "other: {citation}"),
            Gateway::NotEngaged { reason } => write!(f, "not engaged: {reason}"),
        }
    }
}

impl FromStr for Gateway {
    type Err = GatewayParseError;

    /// Reads the forms `Display` writes: a statutory citation, `consent: REF` or `other: TEXT`.
    fn from_str(text: &str) -> Result<Gateway, GatewayParseError> {
        let trimmed = text.trim();
        let err = |reason| GatewayParseError {
            text: text.to_owned(),
            reason,
        };
        if trimmed.is_empty() {
            return Err(err("it is empty"));
        }
        let lower = trimmed.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("consent:") {
            let reference = trimmed[trimmed.len() - rest.len()..].trim();
            if reference.is_empty() {
                return Err(err(
                    "consent needs a reference to where the consent is recorded",
                ));
            }
            return Ok(Gateway::Consent {
                reference: reference.to_owned(),
            });
        }
        if let Some(rest) = lower.strip_prefix("not engaged:") {
            let reason = trimmed[trimmed.len() - rest.len()..].trim();
            if reason.is_empty() {
                return Err(err(
                    "\"not engaged:\" needs the reason no gateway is engaged, e.g. \"not engaged: \
                     published in the company's annual report\"",
                ));
            }
            return Ok(Gateway::NotEngaged {
                reason: reason.to_owned(),
            });
        }
        if let Some(rest) = lower.strip_prefix("other:") {
            let citation = trimmed[trimmed.len() - rest.len()..].trim();
            if citation.is_empty() {
                return Err(err("\"other:\" needs the citation after it"));
            }
            return Ok(Gateway::Other {
                citation: citation.to_owned(),
            });
        }
        Ok(Gateway::Statutory(trimmed.parse()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_statutory_citations() {
        for text in [
            "Communications Act 2003 s393(2)(a)",
            "Data Protection Act 2018 s132(2)(c)",
            "Data Protection Act 2018 s132(2)(f)",
            "Enterprise Act 2002 s241",
            "Financial Services and Markets Act 2000 s349(1)",
        ] {
            let gateway: Gateway = text.parse().unwrap();
            assert_eq!(gateway.to_string(), text, "round trip of {text}");
        }
        let c: Citation = "Communications Act 2003 s393(2)(a)".parse().unwrap();
        assert_eq!(c.act, "Communications Act");
        assert_eq!(c.year, 2003);
        assert_eq!(c.section, "393");
        assert_eq!(c.subsections, vec!["2", "a"]);
    }

    #[test]
    fn consent_and_other_forms() {
        assert_eq!(
            "consent: CONS-2024-7".parse::<Gateway>().unwrap(),
            Gateway::Consent {
                reference: "CONS-2024-7".into()
            }
        );
        assert_eq!(
            "Other: common law".parse::<Gateway>().unwrap(),
            Gateway::Other {
                citation: "common law".into()
            }
        );
    }

    #[test]
    fn rejects_malformed_citations() {
        for (name, text) in [
            ("empty", ""),
            ("no section", "Communications Act 2003"),
            ("no year", "Communications Act s393"),
            ("bad year", "Communications Act 20x3 s393"),
            ("space in subsections", "Communications Act 2003 s393 (2)"),
            ("unclosed", "Communications Act 2003 s393(2"),
            ("empty sub", "Communications Act 2003 s393()"),
            ("consent without reference", "consent:"),
            ("section not numeric start", "Communications Act 2003 sabc"),
        ] {
            assert!(text.parse::<Gateway>().is_err(), "{name}: {text:?} parsed");
        }
    }

    #[test]
    fn within() {
        let narrow: Citation = "Data Protection Act 2018 s132(2)(c)".parse().unwrap();
        let wide: Citation = "Data Protection Act 2018 s132(2)".parse().unwrap();
        let other: Citation = "Communications Act 2003 s393".parse().unwrap();
        assert!(narrow.is_within(&wide));
        assert!(!wide.is_within(&narrow));
        assert!(!narrow.is_within(&other));
    }
}
