//! AWS credentials and the shared-credentials file format (`~/.aws/credentials`): INI sections,
//! one per profile, with `aws_access_key_id`, `aws_secret_access_key` and optionally
//! `aws_session_token`.

use std::collections::BTreeMap;
use std::fmt;

/// An access key to sign with.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl fmt::Debug for Credentials {
    // never the secret or the token
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// A shared-credentials file that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialsError {
    #[error("line {line}: {problem}")]
    Syntax { line: usize, problem: &'static str },
    #[error("profile {0} has no aws_access_key_id or no aws_secret_access_key")]
    Incomplete(String),
}

/// Every profile of a shared-credentials file, by name.
pub fn parse_profiles(text: &str) -> Result<BTreeMap<String, Credentials>, CredentialsError> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let syntax = |problem| CredentialsError::Syntax {
            line: i + 1,
            problem,
        };
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest
                .strip_suffix(']')
                .ok_or_else(|| syntax("a section header must end with ]"))?
                .trim();
            // the config file's spelling (`[profile NAME]`) is accepted too
            let name = name.strip_prefix("profile ").unwrap_or(name).trim();
            if name.is_empty() {
                return Err(syntax("a section needs a name"));
            }
            sections.entry(name.to_string()).or_default();
            current = Some(name.to_string());
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| syntax("expected key = value"))?;
        let section = current
            .as_ref()
            .ok_or_else(|| syntax("a setting before any [section]"))?;
        sections
            .entry(section.clone())
            .or_default()
            .insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let mut out = BTreeMap::new();
    for (name, mut keys) in sections {
        let (Some(id), Some(secret)) = (
            keys.remove("aws_access_key_id"),
            keys.remove("aws_secret_access_key"),
        ) else {
            return Err(CredentialsError::Incomplete(name));
        };
        out.insert(
            name,
            Credentials {
                access_key_id: id,
                secret_access_key: secret,
                session_token: keys.remove("aws_session_token"),
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_read_with_comments_and_the_config_spelling() {
        let text = "# peers\n[us-west-2]\naws_access_key_id = AKIA1\naws_secret_access_key=s1\n\n\
                    [profile eu-west-1]\nAWS_ACCESS_KEY_ID = AKIA2\naws_secret_access_key = s2\n\
                    aws_session_token = t2\n; done\n";
        let p = parse_profiles(text).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p["us-west-2"].access_key_id, "AKIA1");
        assert_eq!(p["us-west-2"].secret_access_key, "s1");
        assert_eq!(p["us-west-2"].session_token, None);
        assert_eq!(p["eu-west-1"].session_token.as_deref(), Some("t2"));
        assert!(!format!("{:?}", p["eu-west-1"]).contains("s2"));
    }

    #[test]
    fn bad_files_say_where() {
        assert_eq!(
            parse_profiles("aws_access_key_id = A\n"),
            Err(CredentialsError::Syntax {
                line: 1,
                problem: "a setting before any [section]"
            })
        );
        assert_eq!(
            parse_profiles("[a]\njunk\n"),
            Err(CredentialsError::Syntax {
                line: 2,
                problem: "expected key = value"
            })
        );
        assert_eq!(
            parse_profiles("[a]\naws_access_key_id = A\n"),
            Err(CredentialsError::Incomplete("a".into()))
        );
    }
}
