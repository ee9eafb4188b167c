//! Language choice for one request: the session's language, then `x-language`, then
//! `Accept-Language`, then the default.
//!
//! Only primary subtags are compared (`nl-BE` → `nl`), because catalogs are kept per primary
//! language. Header values come straight from the network: parsing is lenient (a malformed entry is
//! skipped), bounded (at most `MAX_ENTRIES` entries are read) and never fails.

/// How many comma-separated entries of a header are considered; the rest are ignored.
const MAX_ENTRIES: usize = 32;

/// Whether `tag` is a primary language subtag as catalogs are named: an ISO 639 code of 2 or 3
/// lower-case ASCII letters (the longer registered subtags are reserved and never used).
pub(crate) fn is_language(tag: &str) -> bool {
    (2..=3).contains(&tag.len()) && tag.bytes().all(|byte| byte.is_ascii_lowercase())
}

/// The primary subtag of a language tag, lower-cased (`nl-BE` → `nl`, `en_US` → `en`), if it is one.
pub(crate) fn primary_subtag(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    is_language(&primary).then_some(primary)
}

/// The first supported language among `session`, `x_language` and `accept_language`, else `default`.
///
/// `supported` must be sorted (it is the catalog's language list). Both headers are read as
/// `Accept-Language` lists: entries by descending q-value (ties keep header order), `q=0` and `*`
/// skipped.
pub(crate) fn negotiate(
    supported: &[String],
    default: &str,
    session: Option<&str>,
    x_language: Option<&str>,
    accept_language: Option<&str>,
) -> String {
    let is_supported = |tag: &String| supported.binary_search(tag).is_ok();
    if let Some(language) = session.and_then(primary_subtag).filter(is_supported) {
        return language;
    }
    [x_language, accept_language]
        .into_iter()
        .flatten()
        .flat_map(ranked)
        .find(is_supported)
        .unwrap_or_else(|| default.to_owned())
}

/// The languages of one `Accept-Language`-style header, best first.
fn ranked(header: &str) -> Vec<String> {
    let mut entries: Vec<(f32, String)> = header
        .split(',')
        .take(MAX_ENTRIES)
        .filter_map(entry)
        .filter(|(quality, _)| *quality > 0.0)
        .collect();
    // A stable sort keeps header order among equal q-values, as RFC 9110 §12.5.4 leaves it to us.
    entries.sort_by(|a, b| b.0.total_cmp(&a.0));
    entries.into_iter().map(|(_, language)| language).collect()
}

/// One `tag;q=0.8` entry; `None` for `*`, a malformed tag or a malformed q-value.
fn entry(raw: &str) -> Option<(f32, String)> {
    let mut parts = raw.split(';');
    let language = primary_subtag(parts.next()?)?;
    let mut quality = 1.0;
    for parameter in parts {
        let (name, value) = parameter.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            quality = value
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|q| (0.0..=1.0).contains(q))?;
        }
    }
    Some((quality, language))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(session: Option<&str>, x_language: Option<&str>, accept: Option<&str>) -> String {
        let supported = ["en".to_owned(), "nl".to_owned()];
        negotiate(&supported, "en", session, x_language, accept)
    }

    #[test]
    fn q_values_order_accept_language() {
        assert_eq!(pick(None, None, Some("nl;q=0.5, en;q=0.9")), "en");
        assert_eq!(pick(None, None, Some("en;q=0.5, nl;q=0.9")), "nl");
        assert_eq!(pick(None, None, Some("en;q=0.5,nl")), "nl");
        assert_eq!(pick(None, None, Some("nl;Q=0.7 , en ; q = 0.2")), "nl");
    }

    #[test]
    fn equal_q_values_keep_header_order() {
        assert_eq!(pick(None, None, Some("nl, en")), "nl");
        assert_eq!(pick(None, None, Some("en;q=0.8, nl;q=0.8")), "en");
    }

    #[test]
    fn regions_reduce_to_the_primary_language() {
        assert_eq!(pick(None, None, Some("nl-BE")), "nl");
        assert_eq!(pick(None, None, Some("de-DE, NL-nl;q=0.3")), "nl");
        assert_eq!(pick(Some("nl_NL"), None, None), "nl");
    }

    #[test]
    fn star_zero_quality_and_garbage_are_skipped() {
        assert_eq!(pick(None, None, Some("*, nl;q=0.1")), "nl");
        assert_eq!(pick(None, None, Some("nl;q=0, *")), "en");
        assert_eq!(pick(None, None, Some("nl;q=abc, nl;q=2")), "en");
        assert_eq!(pick(None, None, Some(";;;,,=,q=1,-")), "en");
        assert_eq!(pick(None, None, Some("")), "en");
    }

    #[test]
    fn x_language_beats_accept_language_and_session_beats_both() {
        assert_eq!(pick(None, Some("nl"), Some("en")), "nl");
        assert_eq!(pick(Some("en"), Some("nl"), Some("nl")), "en");
        assert_eq!(pick(Some("nl"), Some("en"), Some("en")), "nl");
    }

    #[test]
    fn unsupported_choices_fall_through_to_the_next_source_then_the_default() {
        assert_eq!(pick(Some("fr"), Some("de"), Some("nl")), "nl");
        assert_eq!(pick(Some("fr"), Some("de"), Some("es, it")), "en");
        assert_eq!(pick(None, None, None), "en");
    }

    #[test]
    fn only_the_first_entries_of_a_long_header_count() {
        let long = format!("{}nl", "xx, ".repeat(MAX_ENTRIES));
        assert_eq!(pick(None, None, Some(&long)), "en");
        let short = format!("{}nl", "xx, ".repeat(MAX_ENTRIES - 1));
        assert_eq!(pick(None, None, Some(&short)), "nl");
    }

    #[test]
    fn language_tags_are_recognised() {
        assert!(is_language("en") && is_language("fil"));
        assert!(!is_language("e") && !is_language("EN") && !is_language("en-gb"));
        assert!(!is_language("messages"));
        assert_eq!(primary_subtag(" EN-gb ").as_deref(), Some("en"));
        assert_eq!(primary_subtag("*"), None);
    }
}
