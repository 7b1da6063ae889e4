//! Strings with IAM's wildcards (`*` any run, `?` one character) and policy variables
//! (`${aws:username}`, `${aws:username, 'default'}`, and the escapes `${*}`, `${?}`, `${$}`).

use super::PolicyError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Characters matched as they are (after variable expansion).
    Lit(String),
    /// A run of pattern text in which `*` and `?` are wildcards.
    Glob(String),
    Var {
        key: String,
        default: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    parts: Vec<Part>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Char(char),
    Star,
    One,
}

/// Looks up a request context key (lower case) for a policy variable.
pub trait Vars {
    fn var(&self, key: &str) -> Option<&str>;
}

impl Pattern {
    /// `text` with wildcards and, when `variables`, policy variables.
    pub fn compile(text: &str, variables: bool) -> Result<Pattern, PolicyError> {
        let mut parts = Vec::new();
        let mut glob = String::new();
        let mut rest = text;
        while !rest.is_empty() {
            if variables {
                if let Some(after) = rest.strip_prefix("${") {
                    if let Some(end) = after.find('}') {
                        let inner = &after[..end];
                        let part = match inner {
                            "*" => Part::Lit("*".into()),
                            "?" => Part::Lit("?".into()),
                            "$" => Part::Lit("$".into()),
                            _ => variable(inner)?,
                        };
                        if !glob.is_empty() {
                            parts.push(Part::Glob(std::mem::take(&mut glob)));
                        }
                        parts.push(part);
                        rest = &after[end + 1..];
                        continue;
                    }
                }
            }
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                glob.push(c);
            }
            rest = chars.as_str();
        }
        if !glob.is_empty() {
            parts.push(Part::Glob(glob));
        }
        Ok(Pattern {
            source: text.to_string(),
            parts,
        })
    }

    /// A pattern without variables whose text to match is `glob` (e.g. lowercased) and whose
    /// source, for display, is `source`.
    pub fn literal_glob(glob: &str, source: &str) -> Pattern {
        Pattern {
            source: source.to_string(),
            parts: if glob.is_empty() {
                Vec::new()
            } else {
                vec![Part::Glob(glob.to_string())]
            },
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    fn tokens(&self, vars: &dyn Vars, wildcards: bool) -> Option<Vec<Tok>> {
        let mut out = Vec::with_capacity(self.source.len());
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.extend(s.chars().map(Tok::Char)),
                Part::Glob(s) => out.extend(s.chars().map(|c| match c {
                    '*' if wildcards => Tok::Star,
                    '?' if wildcards => Tok::One,
                    c => Tok::Char(c),
                })),
                Part::Var { key, default } => {
                    let v = vars.var(key).or(default.as_deref())?;
                    out.extend(v.chars().map(Tok::Char));
                }
            }
        }
        Some(out)
    }

    /// Whether `s` matches, with wildcards when `wildcards`, comparing case-insensitively when
    /// `ignore_case`. A variable the request does not carry (and that has no default) matches
    /// nothing.
    pub fn matches(&self, s: &str, vars: &dyn Vars, wildcards: bool, ignore_case: bool) -> bool {
        let Some(mut p) = self.tokens(vars, wildcards) else {
            return false;
        };
        if ignore_case {
            for t in &mut p {
                if let Tok::Char(c) = t {
                    *c = c.to_ascii_lowercase();
                }
            }
            let s: Vec<char> = s.chars().map(|c| c.to_ascii_lowercase()).collect();
            return glob(&p, &s);
        }
        let s: Vec<char> = s.chars().collect();
        glob(&p, &s)
    }

    /// The text with variables expanded (for exact comparisons); `None` when a variable is
    /// missing.
    pub fn expand(&self, vars: &dyn Vars) -> Option<String> {
        let mut out = String::with_capacity(self.source.len());
        for p in &self.parts {
            match p {
                Part::Lit(s) | Part::Glob(s) => out.push_str(s),
                Part::Var { key, default } => out.push_str(vars.var(key).or(default.as_deref())?),
            }
        }
        Some(out)
    }
}

/// `aws:username` or `aws:username, 'default'`.
fn variable(inner: &str) -> Result<Part, PolicyError> {
    let (key, default) = match inner.split_once(',') {
        Some((k, d)) => {
            let d = d.trim();
            let Some(d) = d.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')) else {
                return Err(PolicyError(format!(
                    "Syntax errors in policy. Invalid policy variable default in ${{{inner}}}."
                )));
            };
            (k.trim(), Some(d.to_string()))
        }
        None => (inner.trim(), None),
    };
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '-' | '_' | '.'))
    {
        return Err(PolicyError(format!(
            "Syntax errors in policy. Invalid policy variable ${{{inner}}}."
        )));
    }
    Ok(Part::Var {
        key: key.to_ascii_lowercase(),
        default,
    })
}

/// Wildcard match: linear in practice, with one backtrack point for the last `*`.
fn glob(p: &[Tok], s: &[char]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(Tok::Star) => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(Tok::One) => {
                pi += 1;
                si += 1;
            }
            Some(Tok::Char(c)) if Some(c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|t| *t == Tok::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct V;
    impl Vars for V {
        fn var(&self, key: &str) -> Option<&str> {
            (key == "aws:username").then_some("alice")
        }
    }

    fn m(p: &str, s: &str) -> bool {
        Pattern::compile(p, true)
            .unwrap()
            .matches(s, &V, true, false)
    }

    #[test]
    fn wildcards_and_variables() {
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("a*c", "abbbc"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*b*", "abc"));
        assert!(!m("ab", "abc"));
        assert!(m(
            "arn:aws:ecr:*:1:repository/team-a/*",
            "arn:aws:ecr:us-east-1:1:repository/team-a/x/y"
        ));
        assert!(!m(
            "arn:aws:ecr:*:1:repository/team-a/*",
            "arn:aws:ecr:us-east-1:1:repository/team-b/x"
        ));
        assert!(m("repository/${aws:username}/*", "repository/alice/app"));
        assert!(!m("repository/${aws:username}/*", "repository/bob/app"));
        assert!(!m("${aws:userid}", "x"));
        assert!(m("${aws:userid, 'anon'}", "anon"));
        assert!(m("a${*}b", "a*b"));
        assert!(!m("a${*}b", "axb"));
        assert!(m("${$}{x}", "${x}"));
        assert!(Pattern::compile("${a b}", true).is_err());
        // variables are literal text in legacy documents
        assert!(Pattern::compile("${aws:username}", false).unwrap().matches(
            "${aws:username}",
            &V,
            true,
            false
        ));
        assert!(m("a**b", "ab"));
        assert!(m("***", "x"));
    }
}
