//! Maven's version order (`ComparableVersion`), in the form its documentation gives: a version is
//! a list of numbers and qualifiers, split at `.`, `-` and where digits meet letters; trailing
//! zeros and empty qualifiers do not count (`1.0` = `1` = `1.0.0` = `1-ga`); qualifiers order
//! `alpha` < `beta` < `milestone` < `rc` = `cr` < `snapshot` < (release: ``, `ga`, `final`,
//! `release`) < `sp` < any other (alphabetically); a number beats a qualifier in the same place.
//! `a1`, `b1`, `m1` are `alpha-1`, `beta-1`, `milestone-1`.

use std::cmp::Ordering;

use super::numeric::compare_digits;

#[derive(Debug, PartialEq, Eq)]
enum Item<'a> {
    Number(&'a str),
    /// A known qualifier's rank, or an unknown one's text (after every known one).
    Qualifier(u8, &'a str),
}

const RELEASE: u8 = 5;

fn qualifier(s: &str, before_digit: bool) -> u8 {
    match s {
        "alpha" => 0,
        "a" if before_digit => 0,
        "beta" => 1,
        "b" if before_digit => 1,
        "milestone" => 2,
        "m" if before_digit => 2,
        "rc" | "cr" => 3,
        "snapshot" => 4,
        "" | "ga" | "final" | "release" => RELEASE,
        "sp" => 6,
        _ => 7,
    }
}

fn items(v: &str) -> Vec<Item<'_>> {
    let mut out = Vec::new();
    let bytes = v.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i <= bytes.len() {
        let end = i == bytes.len();
        let split = end
            || matches!(bytes[i], b'.' | b'-')
            || (i > start && bytes[i].is_ascii_digit() != bytes[i - 1].is_ascii_digit());
        if split {
            let token = &v[start..i];
            if token.bytes().all(|b| b.is_ascii_digit()) && !token.is_empty() {
                out.push(Item::Number(token.trim_start_matches('0')));
            } else {
                let before_digit = bytes.get(i).is_some_and(u8::is_ascii_digit);
                out.push(Item::Qualifier(qualifier(token, before_digit), token));
            }
            if !end && bytes[i] == b'-' {
                // a list ends at `-`: its trailing zeros do not count (`1.0-rc1` = `1-rc1`)
                trim(&mut out);
            }
            start = if !end && matches!(bytes[i], b'.' | b'-') {
                i + 1
            } else {
                i
            };
        }
        i += 1;
    }
    trim(&mut out);
    out
}

/// Trailing zeros and release qualifiers do not count.
fn trim(items: &mut Vec<Item<'_>>) {
    while matches!(
        items.last(),
        Some(Item::Number("")) | Some(Item::Qualifier(RELEASE, _))
    ) {
        items.pop();
    }
}

fn compare_items(a: Option<&Item<'_>>, b: Option<&Item<'_>>) -> Ordering {
    const ZERO: Item<'static> = Item::Number("");
    const NONE: Item<'static> = Item::Qualifier(RELEASE, "");
    match (a, b) {
        (None, None) => Ordering::Equal,
        (Some(x), None) => compare_items(
            Some(x),
            Some(if matches!(x, Item::Number(_)) {
                &ZERO
            } else {
                &NONE
            }),
        ),
        (None, Some(y)) => compare_items(
            Some(if matches!(y, Item::Number(_)) {
                &ZERO
            } else {
                &NONE
            }),
            Some(y),
        ),
        (Some(Item::Number(x)), Some(Item::Number(y))) => compare_digits(x, y),
        (Some(Item::Number(_)), Some(Item::Qualifier(..))) => Ordering::Greater,
        (Some(Item::Qualifier(..)), Some(Item::Number(_))) => Ordering::Less,
        (Some(Item::Qualifier(r, x)), Some(Item::Qualifier(s, y))) => {
            r.cmp(s)
                .then_with(|| if *r == 7 { x.cmp(y) } else { Ordering::Equal })
        }
    }
}

pub fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    let (x, y) = (items(&a), items(&b));
    for i in 0..x.len().max(y.len()) {
        let o = compare_items(x.get(i), y.get(i));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maven_order() {
        let ascending = [
            "1.0-alpha1",
            "1.0-alpha-2",
            "1.0-beta",
            "1.0-m1",
            "1.0-rc1",
            "1.0-SNAPSHOT",
            "1.0",
            "1.0-sp",
            "1.0-xyz",
            "1.0.1",
            "1.1",
            "1.10",
            "2.0.0",
        ];
        for w in ascending.windows(2) {
            assert_eq!(compare(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
            assert_eq!(
                compare(w[1], w[0]),
                Ordering::Greater,
                "{} > {}",
                w[1],
                w[0]
            );
        }
        for (a, b) in [
            ("1.0", "1"),
            ("1.0.0", "1-ga"),
            ("1.0.RELEASE", "1.0"),
            ("1.0-final", "1"),
            ("1.0-cr1", "1.0-rc1"),
            ("1.0-rc1", "1-rc1"),
            ("2.12.7.1", "2.12.7.01"),
        ] {
            assert_eq!(compare(a, b), Ordering::Equal, "{a} = {b}");
        }
    }
}
