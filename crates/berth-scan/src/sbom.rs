//! An image's inventory as a software bill of materials: CycloneDX 1.5 JSON or SPDX 2.3 JSON,
//! each package with its Package URL (purl), the distribution as the operating system, and
//! where in the image the package was found.

use serde_json::{json, Value};

use crate::inventory::{Distro, Inventory, Package, PackageKind};

/// The two formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CycloneDx,
    Spdx,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "cyclonedx" | "cyclonedx-json" => Some(Format::CycloneDx),
            "spdx" | "spdx-json" => Some(Format::Spdx),
            _ => None,
        }
    }

    /// The document's media type (as an OCI artifact's `artifactType` too).
    pub fn media_type(self) -> &'static str {
        match self {
            Format::CycloneDx => "application/vnd.cyclonedx+json",
            Format::Spdx => "application/spdx+json",
        }
    }
}

/// What a document says about the image beside its packages.
pub struct Subject<'a> {
    /// `repository` (or `repository:tag`).
    pub name: &'a str,
    pub digest: &'a str,
    /// When the document was made (RFC 3339, UTC).
    pub created: &'a str,
    /// A UUID for the document (CycloneDX's serial number, SPDX's namespace).
    pub id: &'a str,
    pub tool: &'a str,
    pub tool_version: &'a str,
}

/// Percent-encoding of a purl component: unreserved characters (and those in `keep`) stay.
fn encode(s: &str, keep: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.as_bytes().contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A package's Package URL.
pub fn purl(p: &Package, distro: Option<&Distro>) -> String {
    let os_qualifiers = |arch: &Option<String>| {
        let mut q = Vec::new();
        if let Some(a) = arch {
            q.push(format!("arch={}", encode(a, "")));
        }
        if let Some(d) = distro {
            q.push(format!(
                "distro={}",
                encode(&format!("{}-{}", d.id, d.version), "")
            ));
        }
        q
    };
    let with = |base: String, q: Vec<String>| {
        if q.is_empty() {
            base
        } else {
            format!("{base}?{}", q.join("&"))
        }
    };
    let namespace = distro.map_or("unknown", |d| d.id.as_str());
    match p.kind {
        PackageKind::Apk | PackageKind::Dpkg => {
            let kind = if p.kind == PackageKind::Apk {
                "apk"
            } else {
                "deb"
            };
            let base = format!(
                "pkg:{kind}/{}/{}@{}",
                encode(namespace, ""),
                encode(&p.name, ""),
                encode(&p.version, ":")
            );
            with(base, os_qualifiers(&p.arch))
        }
        PackageKind::Rpm => {
            // the epoch is a qualifier; the version is version-release
            let (epoch, vr) = match p.version.split_once(':') {
                Some((e, vr)) => (Some(e), vr),
                None => (None, p.version.as_str()),
            };
            let base = format!(
                "pkg:rpm/{}/{}@{}",
                encode(namespace, ""),
                encode(&p.name, ""),
                encode(vr, "")
            );
            let mut q = os_qualifiers(&p.arch);
            if let Some(e) = epoch {
                q.insert(0, format!("epoch={e}"));
            }
            with(base, q)
        }
        PackageKind::Go => format!(
            "pkg:golang/{}@{}",
            encode(&p.name, "/"),
            encode(&format!("v{}", p.version.trim_start_matches('v')), "")
        ),
        PackageKind::Cargo => format!(
            "pkg:cargo/{}@{}",
            encode(&p.name, ""),
            encode(&p.version, "")
        ),
        PackageKind::Python => format!(
            "pkg:pypi/{}@{}",
            encode(&p.name.to_ascii_lowercase().replace('_', "-"), ""),
            encode(&p.version, "")
        ),
        PackageKind::Npm => {
            // `@scope/name`: the scope is the namespace
            let name = match p.name.split_once('/') {
                Some((scope, n)) => format!("{}/{}", encode(scope, ""), encode(n, "")),
                None => encode(&p.name, ""),
            };
            format!("pkg:npm/{name}@{}", encode(&p.version, ""))
        }
        PackageKind::Java => {
            let (group, artifact) = p.name.split_once(':').unwrap_or(("", &p.name));
            format!(
                "pkg:maven/{}/{}@{}",
                encode(group, ""),
                encode(artifact, ""),
                encode(&p.version, "")
            )
        }
    }
}

/// The packages of an inventory, each once (the same package at the same place).
fn packages(inv: &Inventory) -> Vec<&Package> {
    let mut out: Vec<&Package> = inv.packages.iter().collect();
    out.sort_by(|a, b| (&a.name, &a.version, &a.location).cmp(&(&b.name, &b.version, &b.location)));
    out.dedup_by(|a, b| {
        a.kind == b.kind && a.name == b.name && a.version == b.version && a.location == b.location
    });
    out
}

/// The document, as JSON.
pub fn document(format: Format, inv: &Inventory, s: &Subject<'_>) -> Value {
    match format {
        Format::CycloneDx => cyclonedx(inv, s),
        Format::Spdx => spdx(inv, s),
    }
}

fn cyclonedx(inv: &Inventory, s: &Subject<'_>) -> Value {
    let distro = inv.distro.as_ref();
    let mut components: Vec<Value> = Vec::new();
    if let Some(d) = distro {
        components.push(json!({
            "type": "operating-system",
            "bom-ref": format!("os:{}-{}", d.id, d.version),
            "name": d.id,
            "version": d.version,
        }));
    }
    for (i, p) in packages(inv).into_iter().enumerate() {
        let purl = purl(p, distro);
        components.push(json!({
            "type": "library",
            "bom-ref": format!("{i}:{purl}"),
            "name": p.name,
            "version": p.version,
            "purl": purl,
            "properties": [
                {"name": "berth:package:type", "value": format!("{:?}", p.kind).to_lowercase()},
                {"name": "berth:package:location", "value": p.location},
                {"name": "berth:package:source", "value": format!("{} {}", p.source, p.source_version)},
            ],
        }));
    }
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:{}", s.id),
        "version": 1,
        "metadata": {
            "timestamp": s.created,
            "tools": {"components": [{"type": "application", "name": s.tool, "version": s.tool_version}]},
            "component": {
                "type": "container",
                "bom-ref": s.digest,
                "name": s.name,
                "version": s.digest,
            },
        },
        "components": components,
    })
}

fn spdx(inv: &Inventory, s: &Subject<'_>) -> Value {
    let distro = inv.distro.as_ref();
    let mut packages_out = vec![json!({
        "name": s.name,
        "SPDXID": "SPDXRef-Image",
        "versionInfo": s.digest,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "CONTAINER",
    })];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": "SPDXRef-Image",
    })];
    if let Some(d) = distro {
        packages_out.push(json!({
            "name": d.id,
            "SPDXID": "SPDXRef-OperatingSystem",
            "versionInfo": d.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "OPERATING-SYSTEM",
        }));
        relationships.push(json!({
            "spdxElementId": "SPDXRef-Image",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": "SPDXRef-OperatingSystem",
        }));
    }
    for (i, p) in packages(inv).into_iter().enumerate() {
        let id = format!("SPDXRef-Package-{i}");
        packages_out.push(json!({
            "name": p.name,
            "SPDXID": id,
            "versionInfo": p.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "LIBRARY",
            "sourceInfo": format!("found in {}", p.location),
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": purl(p, distro),
            }],
        }));
        relationships.push(json!({
            "spdxElementId": "SPDXRef-Image",
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{}@{}", s.name, s.digest),
        "documentNamespace": format!("https://berth.invalid/spdx/{}", s.id),
        "creationInfo": {
            "created": s.created,
            "creators": [format!("Tool: {}-{}", s.tool, s.tool_version)],
        },
        "packages": packages_out,
        "relationships": relationships,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(kind: PackageKind, name: &str, version: &str, arch: Option<&str>) -> Package {
        let mut p = Package::language(kind, name, version, "x");
        p.arch = arch.map(str::to_string);
        p
    }

    #[test]
    fn package_urls() {
        let alpine = Distro {
            id: "alpine".into(),
            version: "3.11.5".into(),
            codename: None,
        };
        let alma = Distro {
            id: "almalinux".into(),
            version: "9.4".into(),
            codename: None,
        };
        assert_eq!(
            purl(
                &p(PackageKind::Apk, "musl", "1.1.24-r2", Some("x86_64")),
                Some(&alpine)
            ),
            "pkg:apk/alpine/musl@1.1.24-r2?arch=x86_64&distro=alpine-3.11.5"
        );
        assert_eq!(
            purl(
                &p(PackageKind::Dpkg, "libssl3", "3.0.8-1+b1", Some("amd64")),
                None
            ),
            "pkg:deb/unknown/libssl3@3.0.8-1%2Bb1?arch=amd64"
        );
        assert_eq!(
            purl(&p(PackageKind::Rpm, "openssl-libs", "1:3.0.1-41.el9_0", Some("x86_64")), Some(&alma)),
            "pkg:rpm/almalinux/openssl-libs@3.0.1-41.el9_0?epoch=1&arch=x86_64&distro=almalinux-9.4"
        );
        assert_eq!(
            purl(&p(PackageKind::Go, "golang.org/x/net", "0.7.0", None), None),
            "pkg:golang/golang.org/x/net@v0.7.0"
        );
        assert_eq!(
            purl(&p(PackageKind::Npm, "@babel/core", "7.0.0", None), None),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            purl(&p(PackageKind::Python, "PyYAML", "5.3", None), None),
            "pkg:pypi/pyyaml@5.3"
        );
        assert_eq!(
            purl(
                &p(PackageKind::Java, "org.yaml:snakeyaml", "1.33", None),
                None
            ),
            "pkg:maven/org.yaml/snakeyaml@1.33"
        );
    }
}
