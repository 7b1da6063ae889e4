//! Durations on the command line, in the environment and in the TOML file: a number of seconds
//! (`90`) or a number with a unit, `s`, `m`, `h` or `d` (`90s`, `15m`, `24h`, `7d`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// A duration in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub u64);

impl Seconds {
    pub fn as_secs(self) -> u64 {
        self.0
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid duration '{0}': give seconds (90) or a number with s, m, h or d (90s, 15m, 24h, 7d)"
)]
pub struct DurationError(String);

impl FromStr for Seconds {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (number, unit) = t.split_at(split);
        let n: u64 = number.parse().map_err(|_| DurationError(s.to_string()))?;
        let factor = match unit.trim() {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(DurationError(s.to_string())),
        };
        n.checked_mul(factor)
            .map(Seconds)
            .ok_or_else(|| DurationError(s.to_string()))
    }
}

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.0)
    }
}

/// In the TOML file: an integer of seconds or a string with a unit.
impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(Seconds(n)),
            Raw::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_units() {
        for (text, secs) in [
            ("90", 90),
            ("90s", 90),
            ("15m", 900),
            ("24h", 86_400),
            ("7d", 604_800),
            ("0", 0),
            (" 5m ", 300),
        ] {
            assert_eq!(text.parse::<Seconds>(), Ok(Seconds(secs)), "{text}");
        }
        for bad in [
            "",
            "m",
            "1.5h",
            "-1",
            "10w",
            "1h30m",
            "99999999999999999999d",
        ] {
            assert!(bad.parse::<Seconds>().is_err(), "{bad}");
        }
    }

    #[test]
    fn from_toml() {
        #[derive(Deserialize)]
        struct F {
            a: Seconds,
            b: Seconds,
        }
        let f: F = toml::from_str("a = 90\nb = \"15m\"").unwrap();
        assert_eq!((f.a, f.b), (Seconds(90), Seconds(900)));
        assert!(toml::from_str::<F>("a = \"soon\"\nb = 1").is_err());
    }
}
