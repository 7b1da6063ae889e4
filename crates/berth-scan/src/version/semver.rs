//! SemVer order as OSV's tooling applies it to Go modules, crates and npm packages: an optional
//! `v`, numeric components (missing ones are 0; digits of any length), a pre-release after `-`
//! (identifiers compared as SemVer 2.0 says: numbers numerically and before words), build
//! metadata after `+` ignored. Components after the third belong to the build, as the vector
//! file says.

use std::cmp::Ordering;

use super::numeric::{compare_digits, split_digits};

struct Parsed<'a> {
    core: [&'a str; 3],
    pre: Option<&'a str>,
}

fn parse(v: &str) -> Parsed<'_> {
    let v = v.strip_prefix('v').unwrap_or(v);
    let mut core = ["0"; 3];
    let mut rest = v;
    for (i, slot) in core.iter_mut().enumerate() {
        if i > 0 {
            match rest.strip_prefix('.') {
                Some(r) if r.bytes().next().is_some_and(|b| b.is_ascii_digit()) => rest = r,
                _ => break,
            }
        }
        let (digits, r) = split_digits(rest);
        if digits.is_empty() {
            break;
        }
        *slot = digits;
        rest = r;
    }
    // what follows the core: a pre-release, or build metadata (anything else, such as a
    // fourth component, counts as build)
    let pre = rest
        .strip_prefix('-')
        .map(|p| p.split('+').next().unwrap_or(p));
    Parsed { core, pre }
}

fn compare_identifiers(a: &str, b: &str) -> Ordering {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => compare_digits(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

pub fn compare(a: &str, b: &str) -> Ordering {
    let (pa, pb) = (parse(a), parse(b));
    for (x, y) in pa.core.iter().zip(pb.core.iter()) {
        let o = compare_digits(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    match (pa.pre, pb.pre) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => {
            let mut xs = x.split('.');
            let mut ys = y.split('.');
            loop {
                match (xs.next(), ys.next()) {
                    (None, None) => return Ordering::Equal,
                    (None, Some(_)) => return Ordering::Less,
                    (Some(_), None) => return Ordering::Greater,
                    (Some(i), Some(j)) => {
                        let o = compare_identifiers(i, j);
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                }
            }
        }
    }
}
