//! PyPI's version order, as `packaging` defines it: PEP 440 versions
//! (`[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with the spellings PEP 440 normalises), and
//! every other string as a legacy version, which sorts before all PEP 440 versions and among
//! its kind by setuptools' old rules (the vector file holds both kinds).

use std::cmp::Ordering;

use super::numeric::{compare_digits, split_digits};

/// A part of the sort key that may be absent in a direction-specific way.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Bound<T> {
    Lowest,
    Value(T),
    Highest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Pep440 {
    epoch: String,
    release: Vec<String>,
    /// (0 a, 1 b, 2 rc; number)
    pre: Option<(u8, String)>,
    post: Option<String>,
    dev: Option<String>,
    local: Vec<String>,
}

/// Digits as a number-ordered key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Num(String);

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_digits(&self.0, &other.0)
    }
}

/// A cursor over the lowercased version.
struct Cursor<'a> {
    s: &'a str,
}

impl<'a> Cursor<'a> {
    fn digits(&mut self) -> Option<&'a str> {
        let (d, rest) = split_digits(self.s);
        if d.is_empty() {
            return None;
        }
        self.s = rest;
        Some(d)
    }

    fn eat(&mut self, prefix: &str) -> bool {
        match self.s.strip_prefix(prefix) {
            Some(rest) => {
                self.s = rest;
                true
            }
            None => false,
        }
    }

    /// An optional separator (`-`, `_`, `.`).
    fn separator(&mut self) -> bool {
        self.eat("-") || self.eat("_") || self.eat(".")
    }

    /// One of `words` (longest first), after an optional separator; restores on failure.
    fn word(&mut self, words: &[&'static str]) -> Option<&'static str> {
        let saved = self.s;
        self.separator();
        if let Some(w) = words.iter().find(|w| self.s.starts_with(**w)) {
            self.s = &self.s[w.len()..];
            return Some(w);
        }
        self.s = saved;
        None
    }

    /// A number after an optional separator, or `0`.
    fn number(&mut self) -> String {
        let saved = self.s;
        self.separator();
        match self.digits() {
            Some(d) => d.to_string(),
            None => {
                self.s = saved;
                "0".to_string()
            }
        }
    }
}

fn parse(v: &str) -> Option<Pep440> {
    let lower = v.trim().to_ascii_lowercase();
    let mut c = Cursor {
        s: lower.strip_prefix('v').unwrap_or(&lower),
    };
    let mut epoch = "0".to_string();
    let first = c.digits()?;
    let mut release = vec![first.to_string()];
    if c.eat("!") {
        epoch = first.to_string();
        release = vec![c.digits()?.to_string()];
    }
    while c.s.starts_with('.') && c.s[1..].starts_with(|ch: char| ch.is_ascii_digit()) {
        c.eat(".");
        release.push(c.digits()?.to_string());
    }
    let pre = c
        .word(&["alpha", "beta", "preview", "pre", "rc", "a", "b", "c"])
        .map(|w| {
            let kind = match w {
                "alpha" | "a" => 0,
                "beta" | "b" => 1,
                _ => 2,
            };
            (kind, c.number())
        });
    let post = if c.s.starts_with('-') && c.s[1..].starts_with(|ch: char| ch.is_ascii_digit()) {
        c.eat("-");
        c.digits().map(str::to_string)
    } else {
        c.word(&["post", "rev", "r"]).map(|_| c.number())
    };
    let dev = c.word(&["dev"]).map(|_| c.number());
    let mut local = Vec::new();
    if c.eat("+") {
        local =
            c.s.split(['-', '_', '.'])
                .map(str::to_string)
                .collect::<Vec<_>>();
        if local
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return None;
        }
        c.s = "";
    }
    c.s.is_empty().then_some(Pep440 {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

type Key = (
    Num,
    Vec<Num>,
    Bound<(u8, Num)>,
    Bound<Num>,
    Bound<Num>,
    Bound<Vec<(Bound<Num>, String)>>,
);

/// `packaging`'s sort key.
fn key(v: Pep440) -> Key {
    let mut release: Vec<Num> = v.release.into_iter().map(Num).collect();
    while release.len() > 1
        && release
            .last()
            .is_some_and(|n| n.0.trim_start_matches('0').is_empty())
    {
        release.pop();
    }
    if release.len() == 1 && release[0].0.trim_start_matches('0').is_empty() {
        release.clear();
    }
    let pre = match (&v.pre, &v.post, &v.dev) {
        // a dev release with nothing else sorts before the pre-releases
        (None, None, Some(_)) => Bound::Lowest,
        (None, _, _) => Bound::Highest,
        (Some((k, n)), _, _) => Bound::Value((*k, Num(n.clone()))),
    };
    let post = v.post.map_or(Bound::Lowest, |n| Bound::Value(Num(n)));
    let dev = v.dev.map_or(Bound::Highest, |n| Bound::Value(Num(n)));
    let local = if v.local.is_empty() {
        Bound::Lowest
    } else {
        // numbers sort after words
        Bound::Value(
            v.local
                .into_iter()
                .map(|p| {
                    if p.bytes().all(|b| b.is_ascii_digit()) {
                        (Bound::Value(Num(p)), String::new())
                    } else {
                        (Bound::Lowest, p)
                    }
                })
                .collect(),
        )
    };
    (Num(v.epoch), release, pre, post, dev, local)
}

/// setuptools' legacy key: digit runs padded to 8, words marked, `*final` at the end.
fn legacy_key(v: &str) -> Vec<String> {
    let lower = v.to_ascii_lowercase();
    let mut pieces: Vec<String> = Vec::new();
    let mut rest = lower.as_str();
    let mut other = String::new();
    while let Some(ch) = rest.chars().next() {
        let len = if ch.is_ascii_digit() {
            rest.bytes().take_while(u8::is_ascii_digit).count()
        } else if ch.is_ascii_lowercase() {
            rest.bytes().take_while(u8::is_ascii_lowercase).count()
        } else if ch == '.' || ch == '-' {
            1
        } else {
            other.push(ch);
            rest = &rest[ch.len_utf8()..];
            continue;
        };
        if !other.is_empty() {
            pieces.push(std::mem::take(&mut other));
        }
        pieces.push(rest[..len].to_string());
        rest = &rest[len..];
    }
    if !other.is_empty() {
        pieces.push(other);
    }
    let mut parts: Vec<String> = Vec::new();
    let mapped = pieces.into_iter().map(|p| match p.as_str() {
        "pre" | "preview" | "rc" => "c".to_string(),
        "-" => "final-".to_string(),
        "dev" => "@".to_string(),
        _ => p,
    });
    for part in mapped.chain(std::iter::once("final".to_string()).map(|_| "*final".to_string())) {
        if part.is_empty() || part == "." {
            continue;
        }
        let part = if part == "*final" {
            part
        } else if part.starts_with(|c: char| c.is_ascii_digit()) {
            format!("{part:0>8}")
        } else {
            format!("*{part}")
        };
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts
}

pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => key(x).cmp(&key(y)),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => legacy_key(a).cmp(&legacy_key(b)),
    }
}
