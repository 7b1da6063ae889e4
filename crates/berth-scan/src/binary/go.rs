//! Go's build information: the toolchain version (`go1.19.8`, reported as the `stdlib`
//! module at `1.19.8`), the main module and the dependencies with their versions (a
//! replacement's version when a module is replaced).

/// The modules of a Go binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// The toolchain as Go's OSV records version `stdlib` (`1.19.8`, `1.21.0-rc.2`).
    pub stdlib: Option<String>,
    /// (module path, version): the main module (unless a development build) and its
    /// dependencies.
    pub modules: Vec<(String, String)>,
}

/// `go1.19.8` → `1.19.8`; `go1.20` → `1.20.0`; `go1.21rc2` → `1.21.0-rc.2`.
pub fn stdlib_version(go: &str) -> Option<String> {
    let v = go.strip_prefix("go")?;
    // a toolchain with experiments or a suffix: `go1.22.1 X:boringcrypto`
    let v = v.split([' ', '+']).next()?;
    let (release, pre) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&v[..i], Some(&v[i..])),
        None => (v, None),
    };
    let mut parts: Vec<&str> = release.split('.').collect();
    if parts.is_empty()
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    while parts.len() < 3 {
        parts.push("0");
    }
    let mut out = parts.join(".");
    if let Some(pre) = pre {
        let (word, n) = pre.split_at(pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len()));
        out.push_str(&format!("-{word}.{n}"));
        if n.is_empty() {
            out.pop();
        }
    }
    Some(out)
}

/// A varint-prefixed string at the start of `b`, and the rest.
fn inline_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len: u64 = 0;
    let mut shift = 0;
    for (i, byte) in b.iter().enumerate().take(10) {
        len |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            let start = i + 1;
            let end = start.checked_add(usize::try_from(len).ok()?)?;
            return Some((b.get(start..end)?, b.get(end..)?));
        }
        shift += 7;
    }
    None
}

/// Parse the bytes from the magic on (Go 1.18+'s inline form; older binaries point to their
/// strings elsewhere in the file and give `None`).
pub fn parse(info: &[u8]) -> Option<BuildInfo> {
    const HEADER: usize = 32;
    const FLAG_INLINE: u8 = 0x2;
    let flags = *info.get(15)?;
    if flags & FLAG_INLINE == 0 {
        return None;
    }
    let (version, rest) = inline_string(info.get(HEADER..)?)?;
    let (modinfo, _) = inline_string(rest)?;
    let version = String::from_utf8_lossy(version);
    // the module information sits between two 16-byte sentinels
    let modinfo =
        String::from_utf8_lossy(modinfo.get(16..modinfo.len().saturating_sub(16))?).into_owned();
    let mut modules: Vec<(String, String)> = Vec::new();
    for line in modinfo.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["mod", path, version, ..] if *version != "(devel)" => {
                modules.push((path.to_string(), version.to_string()));
            }
            ["dep", path, version, ..] => modules.push((path.to_string(), version.to_string())),
            // a replacement applies to the line before it
            ["=>", _path, version, ..] => {
                if let Some(last) = modules.last_mut() {
                    last.1 = version.to_string();
                }
            }
            _ => {}
        }
    }
    Some(BuildInfo {
        stdlib: stdlib_version(&version),
        modules: modules
            .into_iter()
            .map(|(p, v)| (p, v.trim_start_matches('v').to_string()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchain_versions_as_osv_writes_them() {
        assert_eq!(stdlib_version("go1.19.8").as_deref(), Some("1.19.8"));
        assert_eq!(stdlib_version("go1.20").as_deref(), Some("1.20.0"));
        assert_eq!(stdlib_version("go1.21rc2").as_deref(), Some("1.21.0-rc.2"));
        assert_eq!(
            stdlib_version("go1.22.1 X:boringcrypto").as_deref(),
            Some("1.22.1")
        );
        assert_eq!(stdlib_version("devel"), None);
    }

    #[test]
    fn inline_build_information() {
        let mut info = b"\xff Go buildinf:\x08\x02".to_vec();
        info.resize(32, 0);
        let varint = |out: &mut Vec<u8>, mut n: usize| {
            while n >= 0x80 {
                out.push((n as u8) | 0x80);
                n >>= 7;
            }
            out.push(n as u8);
        };
        let version = b"go1.19.8";
        varint(&mut info, version.len());
        info.extend_from_slice(version);
        let mut modinfo = vec![b'S'; 16];
        modinfo.extend_from_slice(
            b"path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/net\tv0.7.0\th1:x\ndep\tgithub.com/a/b\tv1.0.0\th1:y\n=>\tgithub.com/fork/b\tv1.0.1\th1:z\n",
        );
        modinfo.extend_from_slice(&[b'E'; 16]);
        varint(&mut info, modinfo.len());
        info.extend_from_slice(&modinfo);
        let b = parse(&info).unwrap();
        assert_eq!(b.stdlib.as_deref(), Some("1.19.8"));
        assert_eq!(
            b.modules,
            [
                ("golang.org/x/net".to_string(), "0.7.0".to_string()),
                ("github.com/a/b".to_string(), "1.0.1".to_string())
            ]
        );
    }
}
