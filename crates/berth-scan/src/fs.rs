//! The files a scan wants, as the image's root filesystem shows them: layers applied from the
//! lowest up, each one's whiteouts and opaque directories removing what the layers below put
//! there before its own entries are added, as container runtimes apply them.

use std::collections::BTreeMap;

use crate::binary::Binary;
use crate::layer::{normalize, Kept, LayerChanges};

/// The wanted files of an image.
#[derive(Debug, Default)]
pub struct Filesystem {
    entries: BTreeMap<String, Kept>,
}

/// Whether `path` is `dir` or lies under it.
fn within(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

impl Filesystem {
    /// Apply the next layer up.
    pub fn apply(&mut self, layer: LayerChanges) {
        for dir in &layer.opaque {
            // the directory stays; what the layers below had in it goes
            self.entries.retain(|p, _| !(within(p, dir) && p != dir));
        }
        for gone in &layer.whiteouts {
            self.entries.retain(|p, _| !within(p, gone));
        }
        for (path, kept) in layer.kept {
            self.entries.insert(path, kept);
        }
    }

    /// A file's bytes, following symlinks (relative or absolute, at most 40 of them).
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        let mut path = normalize(path);
        for _ in 0..40 {
            match self.entries.get(&path)? {
                Kept::File(bytes) => return Some(bytes),
                Kept::Other | Kept::Binary(_) => return None,
                Kept::Symlink(target) => {
                    path = if target.starts_with('/') {
                        normalize(target)
                    } else {
                        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                        normalize(&format!("{dir}/{target}"))
                    };
                }
            }
        }
        None
    }

    /// Whether anything is at `path` (not following links).
    pub fn exists(&self, path: &str) -> bool {
        self.entries.contains_key(&normalize(path))
    }

    /// The executables a scan read something of, in path order.
    pub fn binaries(&self) -> impl Iterator<Item = (&str, &Binary)> {
        self.entries.iter().filter_map(|(p, k)| match k {
            Kept::Binary(b) => Some((p.as_str(), b)),
            _ => None,
        })
    }

    /// The files (not links) whose path satisfies `pred`, in path order.
    pub fn files<'a>(
        &'a self,
        pred: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        self.entries.iter().filter_map(move |(p, k)| match k {
            Kept::File(b) if pred(p) => Some((p.as_str(), b.as_slice())),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(kept: &[(&str, Kept)], whiteouts: &[&str], opaque: &[&str]) -> LayerChanges {
        LayerChanges {
            kept: kept
                .iter()
                .map(|(p, k)| (p.to_string(), k.clone()))
                .collect(),
            whiteouts: whiteouts.iter().map(|s| s.to_string()).collect(),
            opaque: opaque.iter().map(|s| s.to_string()).collect(),
            entries: 0,
        }
    }

    fn file(s: &str) -> Kept {
        Kept::File(s.as_bytes().to_vec())
    }

    #[test]
    fn whiteouts_and_opaque_directories_remove_lower_files() {
        let mut fs = Filesystem::default();
        fs.apply(layer(
            &[
                ("var/lib/dpkg/status", file("old")),
                ("var/lib/dpkg/status.d/a", file("a")),
                ("lib/apk/db/installed", file("apk")),
                ("usr/lib/os-release", file("ID=debian")),
                (
                    "etc/os-release",
                    Kept::Symlink("../usr/lib/os-release".into()),
                ),
            ],
            &[],
            &[],
        ));
        assert_eq!(fs.read("etc/os-release"), Some(&b"ID=debian"[..]));
        fs.apply(layer(
            &[("var/lib/dpkg/status.d/b", file("b"))],
            &["lib/apk"],
            &["var/lib/dpkg/status.d"],
        ));
        assert_eq!(fs.read("lib/apk/db/installed"), None);
        assert_eq!(fs.read("var/lib/dpkg/status.d/a"), None);
        assert_eq!(fs.read("var/lib/dpkg/status.d/b"), Some(&b"b"[..]));
        assert_eq!(fs.read("var/lib/dpkg/status"), Some(&b"old"[..]));
        // a whiteout in the same layer as a new file removes only the lower one
        fs.apply(layer(
            &[("var/lib/dpkg/status", file("new"))],
            &["var/lib/dpkg/status"],
            &[],
        ));
        assert_eq!(fs.read("var/lib/dpkg/status"), Some(&b"new"[..]));
        // a symlink loop ends
        fs.apply(layer(
            &[
                ("etc/a", Kept::Symlink("b".into())),
                ("etc/b", Kept::Symlink("a".into())),
            ],
            &[],
            &[],
        ));
        assert_eq!(fs.read("etc/a"), None);
    }
}
