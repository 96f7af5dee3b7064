//! Seeing a company named in free text, however it is written: the heuristic behind
//! `company-named-in-theme-only` (a theme-only disclosure must not identify a company, 2024
//! statement §5).
//!
//! A recording officer who wants a disclosure to look routine could write a company's name so
//! that a plain substring match misses it: another case, a possessive ("BrightLoop's"), spaces or
//! punctuation inside it ("Bright-Loop"), zero-width or other invisible characters, full-width
//! or mathematical letters, or look-alike letters from another script (Cyrillic "В"). Both the
//! text and every name the company register holds are reduced to the same *folded* form before
//! they are compared:
//!
//! 1. NFKC normalisation (compatibility forms such as full-width letters become plain ones);
//! 2. removal of format characters (Unicode general category Cf: zero-width spaces and joiners,
//!    soft hyphens, bidirectional controls) and combining marks;
//! 3. each character lower-cased and replaced by its UTS #39 confusable *skeleton*, so that
//!    look-alikes from other scripts map to one prototype (an upper-case look-alike such as
//!    Cyrillic "В", whose lower case has no Latin prototype, is mapped before lower-casing);
//! 4. only letters and digits are kept (spaces, punctuation and apostrophes go).
//!
//! A company is named if the folded text contains the folded form of its id, of its registered
//! name, or of that name without a legal suffix ("Ltd", "plc", "CIC", …). Forms shorter than
//! [`MIN_FOLDED_LEN`] characters are not looked for, so that a two-letter id cannot match
//! inside ordinary words. The crates doing the Unicode work are `unicode-normalization`,
//! `unicode-security` (skeletons) and `unicode-properties` (general categories): no hand tables.

use unicode_normalization::UnicodeNormalization as _;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};
use unicode_security::confusable_detection::skeleton;

use crate::model::CompanyId;
use crate::registers::Registers;

/// The shortest folded form that is looked for in text.
pub const MIN_FOLDED_LEN: usize = 4;

/// Legal-form suffixes dropped from a registered name to get the name people write.
const LEGAL_SUFFIXES: &[&str] = &[
    "ltd",
    "limited",
    "plc",
    "cic",
    "llp",
    "llc",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "gmbh",
    "sa",
    "bv",
    "co",
    "company",
    "group",
];

/// `text` in the folded form described in the module documentation.
pub fn fold(text: &str) -> String {
    // Plain ASCII (most field values) folds character by character from a table made once by
    // the general path: NFKC leaves ASCII as it is, and every other step works per character.
    if text.is_ascii() {
        let table = ascii_folds();
        let mut out = String::with_capacity(text.len());
        for b in text.bytes() {
            out.push_str(&table[usize::from(b)]);
        }
        return out;
    }
    fold_general(text)
}

/// The folded form of each ASCII character, made by [`fold_general`] on first use.
fn ascii_folds() -> &'static [String; 128] {
    static TABLE: std::sync::OnceLock<[String; 128]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|b| fold_general(&char::from(b as u8).to_string())))
}

/// The folding of the module documentation, for any text.
fn fold_general(text: &str) -> String {
    text.nfkc()
        .filter(|c| {
            !matches!(
                c.general_category(),
                GeneralCategory::Format
                    | GeneralCategory::NonspacingMark
                    | GeneralCategory::EnclosingMark
                    | GeneralCategory::SpacingMark
                    | GeneralCategory::Control
            )
        })
        .flat_map(fold_char)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// One character's folded form: the skeleton of its lower case, or — when that is not plain
/// ASCII, as for Cyrillic "в" — the lower-cased skeleton of the character itself (Cyrillic
/// "В" → "b"). Lower-casing first keeps "I" an "i" (its own skeleton is "l").
fn fold_char(c: char) -> Vec<char> {
    let lower: String = c.to_lowercase().collect();
    let first: String = skeleton(&lower).collect::<String>().to_lowercase();
    if first.is_ascii() {
        return first.chars().collect();
    }
    let own: String = skeleton(&c.to_string()).collect::<String>().to_lowercase();
    if own.is_ascii() { own } else { first }.chars().collect()
}

/// The folded forms under which a company with this id and registered name may be written.
pub fn company_forms(id: &CompanyId, name: &str) -> Vec<String> {
    let mut forms = vec![fold(id.as_str()), fold(name)];
    let words: Vec<&str> = name
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.')
        .filter(|w| !w.is_empty())
        .collect();
    let mut end = words.len();
    while end > 1 && LEGAL_SUFFIXES.contains(&fold(words[end - 1]).as_str()) {
        end -= 1;
    }
    forms.push(fold(&words[..end].join(" ")));
    forms.retain(|f| f.chars().count() >= MIN_FOLDED_LEN);
    forms.sort();
    forms.dedup();
    forms
}

/// The folded forms of every company of a register, computed once and kept while the register's
/// names do not change: folding (NFKC, skeletons) is costly, and a verifier looks at every
/// theme-only disclosure's values.
#[derive(Debug, Default)]
pub struct CompanyForms {
    forms: Vec<(CompanyId, String, Vec<String>)>,
}

impl CompanyForms {
    /// The first company of `reg` that `text` names, if any.
    pub fn named_in<'r>(
        &mut self,
        text: &str,
        reg: &'r Registers,
    ) -> Option<(&'r CompanyId, &'r str)> {
        let folded = fold(text);
        if folded.is_empty() {
            return None;
        }
        self.refresh(reg);
        let (id, _, _) = self
            .forms
            .iter()
            .find(|(_, _, forms)| forms.iter().any(|f| folded.contains(f.as_str())))?;
        reg.companies
            .get_key_value(id)
            .map(|(id, c)| (id, c.name.as_str()))
    }

    /// Recomputes the forms if the register's companies differ from those folded.
    fn refresh(&mut self, reg: &Registers) {
        let same = self.forms.len() == reg.companies.len()
            && self
                .forms
                .iter()
                .zip(&reg.companies)
                .all(|((id, name, _), (rid, c))| id == rid && *name == c.name);
        if !same {
            self.forms = reg
                .companies
                .iter()
                .map(|(id, c)| (id.clone(), c.name.clone(), company_forms(id, &c.name)))
                .collect();
        }
    }
}

/// The first company of the register that `text` names, if any (folding every name: use
/// [`CompanyForms`] to look at many texts).
pub fn company_named_in<'r>(text: &str, reg: &'r Registers) -> Option<(&'r CompanyId, &'r str)> {
    CompanyForms::default().named_in(text, reg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_table_folds_as_the_general_path_does() {
        let mut all = String::new();
        for b in 0u8..128 {
            all.push(char::from(b));
        }
        for text in [
            all.as_str(),
            "BrightLoop's new app",
            "Bright-Loop Social Ltd.",
            "I l 1 0 O rn m",
            "",
        ] {
            assert_eq!(fold(text), fold_general(text), "{text:?}");
        }
    }

    fn brightloop() -> Vec<String> {
        company_forms(
            &CompanyId::new("brightloop").unwrap(),
            "BrightLoop Social Ltd",
        )
    }

    fn names_it(text: &str) -> bool {
        let folded = fold(text);
        brightloop().iter().any(|f| folded.contains(f.as_str()))
    }

    /// Each row is a way of writing the name that a plain, case-insensitive substring match of
    /// "BrightLoop Social Ltd" misses.
    #[test]
    fn disguised_names_are_seen() {
        for (how, text) in [
            ("the id", "follow-up with brightloop next week"),
            ("short name", "BrightLoop is redesigning its age checks"),
            ("possessive", "BrightLoop's new feed"),
            ("curly possessive", "BrightLoop\u{2019}s new feed"),
            ("upper case", "BRIGHTLOOP"),
            ("spaced", "Bright Loop"),
            ("hyphen", "Bright-Loop"),
            ("dots", "B.r.i.g.h.t.L.o.o.p"),
            ("zero-width space", "Bright\u{200B}Loop"),
            ("zero-width joiner", "Br\u{200D}ightLoop"),
            ("soft hyphen", "Bright\u{00AD}Loop"),
            ("word joiner", "Bright\u{2060}Loop"),
            ("full width", "ＢｒｉｇｈｔＬｏｏｐ"),
            ("mathematical bold", "𝐁𝐫𝐢𝐠𝐡𝐭𝐋𝐨𝐨𝐩"),
            ("Cyrillic look-alikes", "Вrightlооp"),
            ("Greek omicron", "BrightLοop"),
            ("combining marks", "Bri\u{0301}ghtLoop"),
            ("legal name", "BrightLoop Social Ltd"),
        ] {
            assert!(names_it(text), "{how}: {text:?} was not seen");
        }
    }

    #[test]
    fn ordinary_text_is_not_taken_for_a_name() {
        for text in [
            "recommender systems and how services reduce harm to children",
            "bright ideas about loops",
            "age assurance across a number of social media platforms",
        ] {
            assert!(!names_it(text), "{text:?} was taken for BrightLoop");
        }
    }

    #[test]
    fn legal_suffixes_are_dropped_and_short_forms_skipped() {
        let forms = company_forms(&CompanyId::new("ab").unwrap(), "AB Ltd");
        assert_eq!(
            forms,
            vec!["abltd".to_owned()],
            "only the full name is long enough"
        );
        let forms = company_forms(&CompanyId::new("quietforum").unwrap(), "QuietForum CIC");
        // The short name (suffix dropped) is one of the forms; folded, "m" is "rn".
        assert!(forms.contains(&fold("QuietForum")), "{forms:?}");
        assert!(forms.contains(&fold("QuietForum CIC")), "{forms:?}");
        assert_eq!(fold("QuietForum"), fold("quiet-forum"));
    }
}
