//! dpkg's version order (`deb-version(7)`): `[epoch:]upstream[-revision]`, each part compared
//! by `verrevcmp`: non-digit runs character by character (`~` before everything, even the end;
//! letters before other characters), then digit runs as numbers.

use std::cmp::Ordering;

use super::numeric::compare_digits;

pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = parts(a);
    let (eb, ub, rb) = parts(b);
    compare_digits(ea, eb)
        .then_with(|| verrevcmp(ua, ub))
        .then_with(|| verrevcmp(ra, rb))
}

/// Epoch (`0` when absent), upstream version, and revision (empty when absent).
fn parts(v: &str) -> (&str, &str, &str) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (e, rest),
        _ => ("0", v),
    };
    match rest.rsplit_once('-') {
        Some((upstream, revision)) => (epoch, upstream, revision),
        None => (epoch, rest, ""),
    }
}

/// A character's weight in a non-digit run (`None`: the run has ended).
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// The leading ASCII digits of `s`, and the rest.
fn digits(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

fn verrevcmp(a: &str, b: &str) -> Ordering {
    // bytes, not characters: a version is ASCII, and anything else must not split a character
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        // the non-digit prefix of each, weighed character by character
        loop {
            let ca = a.first().copied().filter(|c| !c.is_ascii_digit());
            let cb = b.first().copied().filter(|c| !c.is_ascii_digit());
            if ca.is_none() && cb.is_none() {
                break;
            }
            let (oa, ob) = (order(ca), order(cb));
            if oa != ob {
                return oa.cmp(&ob);
            }
            if ca.is_some() {
                a = &a[1..];
            }
            if cb.is_some() {
                b = &b[1..];
            }
        }
        let (da, rest_a) = digits(a);
        let (db, rest_b) = digits(b);
        // ASCII digits: always text
        let by_number = compare_digits(
            std::str::from_utf8(da).unwrap_or(""),
            std::str::from_utf8(db).unwrap_or(""),
        );
        if by_number != Ordering::Equal {
            return by_number;
        }
        a = rest_a;
        b = rest_b;
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_sorts_before_the_end() {
        assert_eq!(compare("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(compare("1:0.1", "2.0"), Ordering::Greater);
        assert_eq!(compare("1.0-1", "1.0-1+b1"), Ordering::Less);
        assert_eq!(compare("1.0", "1.0-0"), Ordering::Equal);
        // not ASCII: compared byte by byte, never split inside a character
        assert_eq!(compare("1.é", "1.e"), Ordering::Greater);
    }
}
