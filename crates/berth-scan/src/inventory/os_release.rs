//! The distribution and release: `etc/os-release` (on Debian a link to `usr/lib/os-release`),
//! else `usr/lib/os-release`, `etc/alpine-release`, `etc/debian_version`.

use serde::{Deserialize, Serialize};

use crate::fs::Filesystem;

const FILES: [&str; 4] = [
    "etc/os-release",
    "usr/lib/os-release",
    "etc/alpine-release",
    "etc/debian_version",
];

pub fn wanted(path: &str) -> bool {
    FILES.contains(&path)
}

/// A distribution release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distro {
    /// `ID` (`alpine`, `debian`, `ubuntu`, `almalinux`…).
    pub id: String,
    /// `VERSION_ID` (`3.11.5`, `12`).
    pub version: String,
    /// `VERSION_CODENAME` (`bookworm`), when given.
    pub codename: Option<String>,
}

impl Distro {
    /// The OSV ecosystem of this release's OS packages (`Alpine:v3.11`, `Debian:12`).
    pub fn ecosystem(&self) -> Option<String> {
        let major_minor = || {
            let mut parts = self.version.split('.');
            match (parts.next(), parts.next()) {
                (Some(a), Some(b)) => format!("{a}.{b}"),
                (Some(a), None) => a.to_string(),
                _ => self.version.clone(),
            }
        };
        let major = || self.version.split('.').next().unwrap_or("").to_string();
        match self.id.as_str() {
            "alpine" => Some(format!("Alpine:v{}", major_minor())),
            "debian" => Some(format!("Debian:{}", major())),
            "ubuntu" => Some(format!("Ubuntu:{}", self.version)),
            "almalinux" => Some(format!("AlmaLinux:{}", major())),
            "rocky" => Some(format!("Rocky Linux:{}", major())),
            _ => None,
        }
    }
}

/// `KEY=value` lines, values unquoted.
fn os_release(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim().trim_matches(|c| c == '"' || c == '\'')))
        .collect()
}

pub fn distro(fs: &Filesystem) -> Option<Distro> {
    let text = fs
        .read("etc/os-release")
        .or_else(|| fs.read("usr/lib/os-release"))
        .map(|b| String::from_utf8_lossy(b).into_owned());
    if let Some(text) = text {
        let fields = os_release(&text);
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        if let Some(id) = get("ID") {
            let mut version = get("VERSION_ID").unwrap_or_default();
            // Debian testing and sid have no VERSION_ID; debian_version says more
            if id == "debian" && version.is_empty() {
                version = debian_version(fs).unwrap_or_default();
            }
            return Some(Distro {
                id,
                version,
                codename: get("VERSION_CODENAME"),
            });
        }
    }
    if let Some(v) = fs.read("etc/alpine-release") {
        return Some(Distro {
            id: "alpine".into(),
            version: String::from_utf8_lossy(v).trim().to_string(),
            codename: None,
        });
    }
    debian_version(fs).map(|version| Distro {
        id: "debian".into(),
        version,
        codename: None,
    })
}

fn debian_version(fs: &Filesystem) -> Option<String> {
    fs.read("etc/debian_version")
        .map(|v| String::from_utf8_lossy(v).trim().to_string())
}
