//! npm packages: each `node_modules/<name>/package.json` (and `@scope/<name>`), and the
//! packages a `package-lock.json` lists (lockfile v1's nested `dependencies`, v2 and v3's
//! `packages`).

use serde_json::Value;

use super::{Package, PackageKind};
use crate::fs::Filesystem;

/// A `package.json` directly inside a `node_modules` package directory.
fn installed_manifest(path: &str) -> bool {
    let Some(rest) = path.strip_suffix("/package.json") else {
        return false;
    };
    let Some((_, module)) = rest.rsplit_once("node_modules/") else {
        return false;
    };
    match module.split_once('/') {
        None => true,
        Some((scope, name)) => scope.starts_with('@') && !name.contains('/'),
    }
}

pub fn wanted(path: &str) -> bool {
    installed_manifest(path)
        || (path.ends_with("package-lock.json") && !path.contains("/node_modules/"))
}

fn package(name: &str, version: &str, location: &str) -> Package {
    Package::language(PackageKind::Npm, name, version, location)
}

/// Lockfile v1: `dependencies` nested by name.
fn v1(deps: &serde_json::Map<String, Value>, location: &str, out: &mut Vec<Package>) {
    for (name, d) in deps {
        if let Some(v) = d.get("version").and_then(Value::as_str) {
            out.push(package(name, v, location));
        }
        if let Some(nested) = d.get("dependencies").and_then(Value::as_object) {
            v1(nested, location, out);
        }
    }
}

fn lockfile(json: &Value, location: &str, out: &mut Vec<Package>) {
    if let Some(packages) = json.get("packages").and_then(Value::as_object) {
        for (key, p) in packages {
            let Some((_, name)) = key.rsplit_once("node_modules/") else {
                continue; // the root project
            };
            if p.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            if let Some(v) = p.get("version").and_then(Value::as_str) {
                out.push(package(name, v, location));
            }
        }
    } else if let Some(deps) = json.get("dependencies").and_then(Value::as_object) {
        v1(deps, location, out);
    }
}

pub fn packages(fs: &Filesystem) -> Vec<Package> {
    let mut out = Vec::new();
    for (path, bytes) in fs.files(wanted) {
        let Ok(json) = serde_json::from_slice::<Value>(bytes) else {
            continue;
        };
        if path.ends_with("package-lock.json") {
            lockfile(&json, path, &mut out);
        } else if let (Some(n), Some(v)) = (
            json.get("name").and_then(Value::as_str),
            json.get("version").and_then(Value::as_str),
        ) {
            out.push(package(n, v, path));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_manifests_only() {
        assert!(wanted("app/node_modules/lodash/package.json"));
        assert!(wanted("app/node_modules/@babel/core/package.json"));
        assert!(wanted("app/node_modules/a/node_modules/b/package.json"));
        assert!(!wanted("app/node_modules/lodash/test/package.json"));
        assert!(!wanted("app/package.json"));
        assert!(wanted("app/package-lock.json"));
    }
}
