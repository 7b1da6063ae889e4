//! ECR's wildcard filters (tag mutability exclusions, lifecycle `tagPatternList`): `*` only.
//! IAM's patterns, with `?` and policy variables, have their own matcher in berth-iam.

/// `*` matches any run of characters (including none); everything else matches itself.
pub fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && pattern[p] != b'*' && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn stars_match_any_run() {
        for (p, t, m) in [
            ("prod*", "prod", true),
            ("prod*", "prod-1", true),
            ("*prod", "xprod", true),
            ("*prod*", "a-prod-b", true),
            ("p*d", "prod", true),
            ("p*d", "prods", false),
            ("a*b*c", "abbbc", true),
            ("a*b*c", "acb", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("*", "", true),
        ] {
            assert_eq!(wildcard_match(p.as_bytes(), t.as_bytes()), m, "{p} {t}");
        }
    }
}
