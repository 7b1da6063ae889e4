//! Digit runs compared as numbers of any length (`999…991 < 999…999`), without overflow.

use std::cmp::Ordering;

/// Compare two runs of ASCII digits as numbers.
pub fn compare_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The leading run of ASCII digits of `s`, and the rest.
pub fn split_digits(s: &str) -> (&str, &str) {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}
