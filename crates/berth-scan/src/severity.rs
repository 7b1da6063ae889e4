//! A finding's severity, as ECR names them: from a CVSS v3 vector's base score where the
//! advisory gives one, else the source's own rating (`database_specific.severity`), else
//! UNDEFINED; informational advisories (RustSec's unmaintained and unsound notices) are
//! INFORMATIONAL. CVSS v4 vectors are not scored yet (their lookup tables are not built in):
//! such an advisory takes its source's rating or UNDEFINED.

use serde::{Deserialize, Serialize};

use crate::vulndb::{Advisory, Affected};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
    Undefined,
}

impl Severity {
    /// CVSS's qualitative rating of a base score.
    pub fn of_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Informational,
        }
    }

    /// A source's own word for it (`HIGH`, `moderate`, `important`…).
    pub fn of_rating(word: &str) -> Option<Severity> {
        match word.to_ascii_lowercase().as_str() {
            "critical" => Some(Severity::Critical),
            "high" | "important" => Some(Severity::High),
            "medium" | "moderate" => Some(Severity::Medium),
            "low" | "negligible" => Some(Severity::Low),
            "informational" | "info" | "none" => Some(Severity::Informational),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "INFORMATIONAL",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
            Severity::Undefined => "UNDEFINED",
        }
    }
}

/// A CVSS vector (v3 or v4) and its base score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    pub vector: String,
    pub score: f64,
}

impl Cvss {
    /// The version the vector names (`3.0`, `3.1`, `4.0`).
    pub fn version(&self) -> &str {
        self.vector
            .strip_prefix("CVSS:")
            .and_then(|v| v.split('/').next())
            .unwrap_or("3.1")
    }
}

/// CVSS 3.x's Roundup: the smallest number with one decimal at or above `x`.
fn roundup(x: f64) -> f64 {
    let i = (x * 100_000.0).round() as i64;
    if i % 10_000 == 0 {
        i as f64 / 100_000.0
    } else {
        ((i / 10_000) + 1) as f64 / 10.0
    }
}

/// The base score of a CVSS v3.0/v3.1 vector (`CVSS:3.1/AV:N/AC:L/…`).
pub fn cvss3_score(vector: &str) -> Option<f64> {
    let mut metrics = std::collections::HashMap::new();
    let mut parts = vector.split('/');
    if !parts.next()?.starts_with("CVSS:3") {
        return None;
    }
    for p in parts {
        let (k, v) = p.split_once(':')?;
        metrics.insert(k, v);
    }
    let get = |k: &str| metrics.get(k).copied();
    let changed = match get("S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match get("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match get("AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (get("PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match get("UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |k: &str| match get(k) {
        Some("H") => Some(0.56),
        Some("L") => Some(0.22),
        Some("N") => Some(0.0),
        _ => None,
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Some(0.0);
    }
    Some(if changed {
        roundup((1.08 * (impact + exploitability)).min(10.0))
    } else {
        roundup((impact + exploitability).min(10.0))
    })
}

/// A CVSS v4.0 vector's base score: FIRST's MacroVector lookup and interpolation, by the
/// polycvss crate.
pub fn cvss4_score(vector: &str) -> Option<f64> {
    let v: polycvss::v4::Vector = vector.parse().ok()?;
    Some(f64::from(polycvss::Score::from(v)))
}

/// The first CVSS v3 vector of the affected entry or the advisory, scored; else the first
/// CVSS v4 vector.
pub fn cvss(advisory: &Advisory, entry: &Affected) -> Option<Cvss> {
    let all = || entry.severity.iter().chain(&advisory.severity);
    let scored = |kind: &str, score: fn(&str) -> Option<f64>| {
        all().filter(|s| s.kind == kind).find_map(|s| {
            score(&s.score).map(|score| Cvss {
                vector: s.score.clone(),
                score,
            })
        })
    };
    scored("CVSS_V3", cvss3_score).or_else(|| scored("CVSS_V4", cvss4_score))
}

/// `database_specific.<key>` of the entry or the advisory, as text.
fn specific<'a>(advisory: &'a Advisory, entry: &'a Affected, key: &str) -> Option<&'a str> {
    [&entry.database_specific, &advisory.database_specific]
        .into_iter()
        .flatten()
        .find_map(|v| v.get(key).and_then(|s| s.as_str()))
}

/// Whether the advisory is a notice rather than a vulnerability (RustSec's `informational`).
pub fn informational(advisory: &Advisory, entry: &Affected) -> Option<String> {
    specific(advisory, entry, "informational").map(str::to_string)
}

/// The severity of a finding of this advisory.
pub fn severity(advisory: &Advisory, entry: &Affected) -> Severity {
    if informational(advisory, entry).is_some() {
        return Severity::Informational;
    }
    if let Some(c) = cvss(advisory, entry) {
        return Severity::of_score(c.score);
    }
    specific(advisory, entry, "severity")
        .and_then(Severity::of_rating)
        .unwrap_or(Severity::Undefined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss3_base_scores() {
        // FIRST's examples and common vectors
        for (v, want) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ] {
            assert_eq!(cvss3_score(v), Some(want), "{v}");
        }
        assert_eq!(cvss3_score("CVSS:4.0/AV:N"), None);
        // FIRST's calculator's figures for v4.0 vectors
        for (v, want) in [
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
                10.0,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N",
                6.9,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
            ),
        ] {
            assert_eq!(cvss4_score(v), Some(want), "{v}");
        }
        assert_eq!(cvss4_score("CVSS:3.1/AV:N"), None);
        assert_eq!(Severity::of_score(9.8), Severity::Critical);
        assert_eq!(Severity::of_score(6.1), Severity::Medium);
    }
}
