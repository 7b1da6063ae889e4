//! apk-tools' version order (`apk version -t`): digits separated by dots, an optional letter,
//! suffixes (`_alpha`, `_beta`, `_pre`, `_rc` before the release; `_cvs`, `_svn`, `_git`,
//! `_hg`, `_p` after it), each with an optional number, and a package revision `-rN`. A token
//! sequence is compared token by token as apk-tools does, including its rule for leading zeros
//! (`1.01 < 1.1`: the zeros count against the component) and for an invalid tail.

use std::cmp::Ordering;

/// The kind of the next token; the order matters (a later kind ranks lower when one version
/// ends in it and the other has already gone on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    Invalid,
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

const PRE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

/// What follows a token of kind `t` at the start of `s` (consuming its separator).
fn next_token(t: Token, s: &mut &[u8]) -> Token {
    let mut n = Token::Invalid;
    match s.first() {
        None | Some(0) => n = Token::End,
        Some(c) if matches!(t, Token::Digit | Token::DigitOrZero) && c.is_ascii_lowercase() => {
            n = Token::Letter
        }
        Some(c) if t == Token::Letter && c.is_ascii_digit() => n = Token::Digit,
        Some(c) if t == Token::Suffix && c.is_ascii_digit() => n = Token::SuffixNo,
        Some(c) => {
            match c {
                b'.' => n = Token::DigitOrZero,
                b'_' => n = Token::Suffix,
                b'-' if s.get(1) == Some(&b'r') => {
                    n = Token::RevisionNo;
                    *s = &s[1..];
                }
                _ => {}
            }
            *s = &s[1..];
        }
    }
    if n < t
        && !((n == Token::DigitOrZero && t == Token::Digit)
            || (n == Token::Suffix && t == Token::SuffixNo)
            || (n == Token::Digit && t == Token::Letter))
    {
        n = Token::Invalid;
    }
    n
}

/// The value of the token of kind `*t` at the start of `s`, and the kind of the one after.
fn get_token(t: &mut Token, s: &mut &[u8]) -> i64 {
    if s.is_empty() {
        *t = Token::End;
        return 0;
    }
    let mut i = 0;
    let mut v: i64 = 0;
    let mut after = None;
    match *t {
        Token::DigitOrZero if s[0] == b'0' => {
            while i < s.len() && s[i] == b'0' {
                i += 1;
            }
            after = Some(Token::Digit);
            v = -(i as i64);
        }
        Token::DigitOrZero | Token::Digit | Token::SuffixNo | Token::RevisionNo => {
            while i < s.len() && s[i].is_ascii_digit() {
                v = v.saturating_mul(10).saturating_add(i64::from(s[i] - b'0'));
                i += 1;
            }
        }
        Token::Letter => {
            v = i64::from(s[0]);
            i = 1;
        }
        Token::Suffix => {
            if let Some(k) = PRE_SUFFIXES
                .iter()
                .position(|p| s.starts_with(p.as_bytes()))
            {
                i = PRE_SUFFIXES[k].len();
                v = k as i64 - PRE_SUFFIXES.len() as i64;
            } else if let Some(k) = POST_SUFFIXES
                .iter()
                .position(|p| s.starts_with(p.as_bytes()))
            {
                i = POST_SUFFIXES[k].len();
                v = k as i64;
            } else {
                *t = Token::Invalid;
                return -1;
            }
        }
        _ => {
            *t = Token::Invalid;
            return -1;
        }
    }
    *s = &s[i..];
    if s.is_empty() {
        *t = Token::End;
    } else if let Some(n) = after {
        *t = n;
    } else {
        *t = next_token(*t, s);
    }
    v
}

pub fn compare(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    let (mut at, mut bt) = (Token::Digit, Token::Digit);
    let (mut av, mut bv) = (0, 0);
    while at == bt && at != Token::End && at != Token::Invalid && av == bv {
        av = get_token(&mut at, &mut a);
        bv = get_token(&mut bt, &mut b);
    }
    if av != bv {
        return av.cmp(&bv);
    }
    if at == bt {
        return Ordering::Equal;
    }
    // equal so far: the longer is newer, unless what it goes on with is a pre-release suffix
    let mut tt = at;
    if at == Token::Suffix && get_token(&mut tt, &mut { a }) < 0 {
        return Ordering::Less;
    }
    let mut tt = bt;
    if bt == Token::Suffix && get_token(&mut tt, &mut { b }) < 0 {
        return Ordering::Greater;
    }
    // a later token kind ranks lower
    bt.cmp(&at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_suffixes_and_revisions() {
        assert_eq!(compare("1.1.1d-r3", "1.1.1g-r0"), Ordering::Less);
        assert_eq!(compare("1.31.1-r9", "1.31.1-r10"), Ordering::Less);
        assert_eq!(compare("2.0_rc7-r0", "2.0-r0"), Ordering::Less);
        assert_eq!(compare("1.0_p1-r0", "1.0-r0"), Ordering::Greater);
        assert_eq!(compare("10.0.0-r2", "10.01.0-r0"), Ordering::Less);
        assert_eq!(compare("1.1.1d-r3", "1.1.1d-r3"), Ordering::Equal);
    }
}
