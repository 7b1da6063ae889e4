//! Debian's OVAL definitions (one per CVE and source package, `.xml` or `.xml.bz2`): each
//! definition's `dpkginfo` tests ("<package> is earlier than <version>") become an advisory
//! named by its CVE with an `ECOSYSTEM` range `[introduced 0, fixed <version>]` under the
//! platform's release (`Debian GNU/Linux 12` → `Debian:12`). Read as a stream of XML events.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::model::{Advisory, Affected, Reference};

#[derive(Debug, thiserror::Error)]
pub enum OvalError {
    #[error("not readable OVAL XML: {0}")]
    Xml(String),
    #[error("no Debian release named in the definitions")]
    NoPlatform,
}

#[derive(Default)]
struct Definition {
    cve: Option<String>,
    url: Option<String>,
    description: Option<String>,
    platform: Option<String>,
    tests: Vec<String>,
}

/// What the file defines, before the definitions are joined to their tests.
#[derive(Default)]
struct Parsed {
    definitions: Vec<Definition>,
    /// dpkginfo test → (object, state)
    tests: HashMap<String, (String, String)>,
    /// dpkginfo object → package name
    objects: HashMap<String, String>,
    /// dpkginfo state → version it is earlier than
    states: HashMap<String, String>,
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The element a text belongs to.
#[derive(Clone, Copy, PartialEq)]
enum Text {
    None,
    Description,
    Platform,
    ObjectName,
    StateEvr,
}

fn parse<R: BufRead>(input: R) -> Result<Parsed, OvalError> {
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut out = Parsed::default();
    let mut current: Option<Definition> = None;
    let mut test: Option<(String, Option<String>, Option<String>)> = None;
    let mut object: Option<String> = None;
    let mut state: Option<String> = None;
    let mut text = Text::None;
    loop {
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| OvalError::Xml(e.to_string()))?;
        match ev {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let e = e.into_owned();
                match e.local_name().as_ref() {
                    b"definition" => current = Some(Definition::default()),
                    b"reference" => {
                        if let Some(d) = current.as_mut() {
                            if attr(&e, b"source").as_deref() == Some("CVE") && d.cve.is_none() {
                                d.cve = attr(&e, b"ref_id");
                                d.url = attr(&e, b"ref_url");
                            }
                        }
                    }
                    b"description" if current.is_some() => text = Text::Description,
                    b"platform" if current.is_some() => text = Text::Platform,
                    b"criterion" => {
                        if let (Some(d), Some(t)) = (current.as_mut(), attr(&e, b"test_ref")) {
                            d.tests.push(t);
                        }
                    }
                    b"dpkginfo_test" => test = attr(&e, b"id").map(|id| (id, None, None)),
                    b"object" => {
                        if let Some(t) = test.as_mut() {
                            t.1 = attr(&e, b"object_ref");
                        }
                    }
                    b"state" => {
                        if let Some(t) = test.as_mut() {
                            t.2 = attr(&e, b"state_ref");
                        }
                    }
                    b"dpkginfo_object" => object = attr(&e, b"id"),
                    b"name" if object.is_some() => text = Text::ObjectName,
                    b"dpkginfo_state" => state = attr(&e, b"id"),
                    b"evr"
                        if state.is_some()
                            && attr(&e, b"operation").as_deref() == Some("less than") =>
                    {
                        text = Text::StateEvr
                    }
                    _ => {}
                }
            }
            Event::Text(t) if text != Text::None => {
                let value = t
                    .decode()
                    .map_err(|e| OvalError::Xml(e.to_string()))?
                    .trim()
                    .to_string();
                match text {
                    Text::Description => {
                        if let Some(d) = current.as_mut() {
                            d.description = Some(value);
                        }
                    }
                    Text::Platform => {
                        if let Some(d) = current.as_mut() {
                            d.platform.get_or_insert(value);
                        }
                    }
                    Text::ObjectName => {
                        if let Some(o) = &object {
                            out.objects.insert(o.clone(), value);
                        }
                    }
                    Text::StateEvr => {
                        if let Some(s) = &state {
                            out.states.insert(s.clone(), value);
                        }
                    }
                    Text::None => {}
                }
                text = Text::None;
            }
            Event::End(e) => {
                text = Text::None;
                match e.local_name().as_ref() {
                    b"definition" => out.definitions.extend(current.take()),
                    b"dpkginfo_test" => {
                        if let Some((id, Some(o), Some(s))) = test.take() {
                            out.tests.insert(id, (o, s));
                        }
                    }
                    b"dpkginfo_object" => object = None,
                    b"dpkginfo_state" => state = None,
                    _ => {}
                }
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// `Debian GNU/Linux 12` → `Debian:12`.
fn ecosystem(platform: &str) -> Option<String> {
    let release = platform.strip_prefix("Debian GNU/Linux ")?;
    Some(format!("Debian:{}", release.trim()))
}

/// The advisories of an OVAL file (bzip2-compressed when it starts with `BZh`).
pub fn read<R: Read>(input: R) -> Result<Vec<Advisory>, OvalError> {
    let mut buffered = BufReader::with_capacity(256 << 10, input);
    let head = buffered
        .fill_buf()
        .map_err(|e| OvalError::Xml(e.to_string()))?;
    let parsed = if head.starts_with(b"BZh") {
        parse(BufReader::new(bzip2::read::BzDecoder::new(buffered)))?
    } else {
        parse(buffered)?
    };
    let mut by_id: HashMap<String, Advisory> = HashMap::new();
    let mut platforms = 0;
    for d in parsed.definitions {
        let (Some(cve), Some(eco)) = (d.cve, d.platform.as_deref().and_then(ecosystem)) else {
            continue;
        };
        platforms += 1;
        let advisory = by_id.entry(cve.clone()).or_insert_with(|| Advisory {
            details: d.description.clone(),
            references: d
                .url
                .iter()
                .map(|u| Reference {
                    kind: "ADVISORY".into(),
                    url: u.clone(),
                })
                .collect(),
            ..Advisory::named(&cve)
        });
        for t in &d.tests {
            let Some((object, state)) = parsed.tests.get(t) else {
                continue;
            };
            let (Some(name), Some(fixed)) = (parsed.objects.get(object), parsed.states.get(state))
            else {
                continue;
            };
            advisory
                .affected
                .push(Affected::fixed_in(&eco, name, fixed));
        }
    }
    if platforms == 0 {
        return Err(OvalError::NoPlatform);
    }
    let mut out: Vec<Advisory> = by_id.into_values().collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}
