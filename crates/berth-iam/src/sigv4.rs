//! AWS Signature Version 4: verification of signed requests.
//!
//! The canonical request is rebuilt from what the client says it signed (`SignedHeaders`), never
//! from a fixed list, because SDKs sign different header sets (botocore signs `content-type`,
//! `host`, `x-amz-date`, `x-amz-target`; the Go SDK also signs `content-length` and its
//! `amz-sdk-*` headers). The body hash is `x-amz-content-sha256` when present, otherwise computed.
//!
//! Pure functions over a neutral request description: this module knows nothing of HTTP crates.

use hmac::{Hmac, Mac};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far the request's date may be from the server's clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// Why a request's signature was not accepted. The variants map to AWS's error codes; the texts
/// are AWS's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// No `Authorization` header (or not a SigV4 one): `MissingAuthenticationTokenException`.
    #[error("Missing Authentication Token")]
    Missing,
    /// A malformed `Authorization` header or date: `IncompleteSignatureException`.
    #[error("{0}")]
    Incomplete(String),
    /// The signature does not match, or the request is outside the clock-skew window:
    /// `InvalidSignatureException`.
    #[error("{0}")]
    Invalid(String),
}

pub const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
/// header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    /// `yyyymmdd` of the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lower-case header names, in the order given (which SigV4 requires to be sorted).
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// Parse an `Authorization` header value.
pub fn parse_authorization(value: &str) -> Result<Authorization, SigV4Error> {
    let value = value.trim();
    let Some(rest) = value.strip_prefix(ALGORITHM) else {
        return Err(SigV4Error::Missing);
    };
    if !rest.starts_with(' ') {
        return Err(SigV4Error::Missing);
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = part.split_once('=') else {
            return Err(SigV4Error::Incomplete(format!(
                "Authorization header requires each component to be of the form key=value: '{part}'."
            )));
        };
        match k.trim() {
            "Credential" => credential = Some(v.trim()),
            "SignedHeaders" => signed = Some(v.trim()),
            "Signature" => signature = Some(v.trim()),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("'Credential'");
    }
    if signed.is_none() {
        missing.push("'SignedHeaders'");
    }
    if signature.is_none() {
        missing.push("'Signature'");
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(SigV4Error::Incomplete(format!(
            "Authorization header requires {} parameter. Authorization={value}",
            missing.join(", ")
        )));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, terminator] = scope.as_slice() else {
        return Err(SigV4Error::Incomplete(format!(
            "Credential should be scoped to a valid region. Credential={credential}"
        )));
    };
    if *terminator != "aws4_request" {
        return Err(SigV4Error::Incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    if key.is_empty() || date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SigV4Error::Incomplete(format!(
            "Credential should be scoped to a valid date. Credential={credential}"
        )));
    }
    if region.is_empty() || service.is_empty() {
        return Err(SigV4Error::Incomplete(format!(
            "Credential should be scoped to a valid region and service. Credential={credential}"
        )));
    }
    let signed_headers: Vec<String> = signed
        .split(';')
        .filter(|h| !h.is_empty())
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if signed_headers.is_empty() {
        return Err(SigV4Error::Incomplete(
            "Authorization header requires a non-empty 'SignedHeaders' parameter.".into(),
        ));
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SigV4Error::Invalid(MISMATCH.into()));
    }
    Ok(Authorization {
        access_key_id: key.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers,
        signature: signature.to_ascii_lowercase(),
    })
}

/// A request as the verifier sees it.
pub struct Request<'a> {
    pub method: &'a str,
    /// The path as received (still percent-encoded).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// Every header, names in any case; repeated names allowed.
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex SHA-256 of the body, or the `x-amz-content-sha256` value.
    pub payload_hash: &'a str,
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Percent-encode every byte but the unreserved ones (and `/` when `keep_slash`): RFC 3986,
/// as SigV4 canonicalises and as AWS encodes values it returns.
pub fn uri_encode(input: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(input.len());
    for &b in input {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The canonical URI of a non-S3 service: the path as sent, encoded once more (AWS's SDKs
/// "double-encode" for every service but S3), with an empty path as `/`.
fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    uri_encode(path.as_bytes(), true)
}

/// Query parameters decoded, re-encoded strictly and sorted by name, then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A header value trimmed, with runs of spaces collapsed to one.
fn canonical_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical request over `signed` headers. `None` when a signed header is absent.
pub fn canonical_request(req: &Request<'_>, signed: &[String]) -> Option<String> {
    let mut lines = String::new();
    for name in signed {
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| canonical_value(v))
            .collect();
        if values.is_empty() {
            return None;
        }
        lines.push_str(name);
        lines.push(':');
        lines.push_str(&values.join(","));
        lines.push('\n');
    }
    Some(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        canonical_uri(req.path),
        canonical_query(req.query),
        lines,
        signed.join(";"),
        req.payload_hash
    ))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex_lower(&Sha256::digest(data))
}

fn hex_lower(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(data);
    m.finalize().into_bytes().into()
}

/// The signing key: HMAC chain over date, region, service and `aws4_request`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

pub fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    )
}

/// The signature of a string to sign.
pub fn sign(key: &[u8; 32], string_to_sign: &str) -> String {
    hex_lower(&hmac(key, string_to_sign.as_bytes()))
}

/// The `Authorization` header that signs `req` (whose headers must include `x-amz-date` with
/// `amz_date`, and every header to sign) for a client: `berth admin` through the server.
pub fn authorization_header(
    req: &Request<'_>,
    amz_date: &str,
    access_key_id: &str,
    secret: &str,
    region: &str,
    service: &str,
) -> Option<String> {
    let mut signed: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    signed.sort();
    signed.dedup();
    let canonical = canonical_request(req, &signed)?;
    let date = amz_date.get(..8)?;
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let key = signing_key(secret, date, region, service);
    let signature = sign(&key, &string_to_sign(amz_date, &scope, &canonical));
    Some(format!(
        "{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={signature}",
        signed.join(";")
    ))
}

/// The request's `X-Amz-Date` (or `Date`, as ISO 8601 basic) as epoch seconds, checked against
/// the credential scope's date.
pub fn request_time(req: &Request<'_>, auth: &Authorization) -> Result<(String, i64), SigV4Error> {
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    let (value, from) = match (header("x-amz-date"), header("date")) {
        (Some(v), _) => (v, "X-Amz-Date"),
        (None, Some(v)) => (v, "Date"),
        (None, None) => {
            return Err(SigV4Error::Incomplete(format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={}",
                auth.access_key_id,
                auth.scope(),
                auth.signed_headers.join(";"),
                auth.signature
            )))
        }
    };
    let Some(epoch) = parse_amz_date(value) else {
        return Err(SigV4Error::Incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    if value[..8] != auth.date {
        return Err(SigV4Error::Invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{from}'.",
            auth.date,
            &value[..8]
        )));
    }
    Ok((value.to_string(), epoch))
}

/// Check `time` (epoch seconds) against `now` with AWS's 15-minute window and its texts.
pub fn check_skew(amz_date: &str, time: i64, now: i64) -> Result<(), SigV4Error> {
    if time < now - MAX_SKEW_SECS {
        return Err(SigV4Error::Invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            format_amz_date(now - MAX_SKEW_SECS),
            format_amz_date(now)
        )));
    }
    if time > now + MAX_SKEW_SECS {
        return Err(SigV4Error::Invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            format_amz_date(now + MAX_SKEW_SECS),
            format_amz_date(now)
        )));
    }
    Ok(())
}

/// Verify `auth`'s signature over `req` with `secret`. The caller has already found the key and
/// checked the time.
pub fn verify(
    req: &Request<'_>,
    auth: &Authorization,
    amz_date: &str,
    secret: &str,
) -> Result<(), SigV4Error> {
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(SigV4Error::Invalid(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    let canonical =
        canonical_request(req, &auth.signed_headers).ok_or(SigV4Error::Invalid(MISMATCH.into()))?;
    let key = signing_key(secret, &auth.date, &auth.region, &auth.service);
    let expected = sign(&key, &string_to_sign(amz_date, &auth.scope(), &canonical));
    if bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
        Ok(())
    } else {
        Err(SigV4Error::Invalid(MISMATCH.into()))
    }
}

// ---- ISO 8601 basic dates (`20150830T123600Z`) without a date library ----

pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `yyyymmddThhmmssZ` → epoch seconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Epoch seconds → `yyyymmddThhmmssZ`.
pub fn format_amz_date(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_signature_verifies() {
        let headers = [
            ("Host", "localhost:5000"),
            ("X-Amz-Date", "20261123T120000Z"),
            ("X-Amz-Target", "BerthAdmin_20261123.ListUsers"),
        ];
        let body_hash = sha256_hex(b"{}");
        let req = Request {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            payload_hash: &body_hash,
        };
        let header = authorization_header(
            &req,
            "20261123T120000Z",
            "AKIAEXAMPLEEXAMPLE00",
            "secret",
            "us-east-1",
            "berth",
        )
        .unwrap();
        let auth = parse_authorization(&header).unwrap();
        assert_eq!(auth.service, "berth");
        verify(&req, &auth, "20261123T120000Z", "secret").unwrap();
        assert!(verify(&req, &auth, "20261123T120000Z", "other").is_err());
    }

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn check(req: &Request<'_>, header: &str) -> Result<(), SigV4Error> {
        let auth = parse_authorization(header)?;
        let (date, _) = request_time(req, &auth)?;
        verify(req, &auth, &date, SECRET)
    }

    /// AWS's published signature test suite case `get-vanilla`.
    #[test]
    fn aws_test_suite_get_vanilla() {
        let headers = [
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
        ];
        let req = Request {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            payload_hash: &sha256_hex(b""),
        };
        let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
        check(&req, auth).unwrap();
        // one bit of the signature off
        let bad = auth.replace("bf31", "bf30");
        assert_eq!(check(&req, &bad), Err(SigV4Error::Invalid(MISMATCH.into())));
    }

    /// The IAM `ListUsers` example of AWS's SigV4 documentation: query parameters and a signed
    /// content type.
    #[test]
    fn aws_documentation_iam_example() {
        let headers = [
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
            ("host", "iam.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
        ];
        let req = Request {
            method: "GET",
            path: "/",
            query: "Version=2010-05-08&Action=ListUsers",
            headers: &headers,
            payload_hash: &sha256_hex(b""),
        };
        let auth = parse_authorization("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7").unwrap();
        let canonical = canonical_request(&req, &auth.signed_headers).unwrap();
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        verify(&req, &auth, "20150830T123600Z", SECRET).unwrap();
        assert!(verify(&req, &auth, "20150830T123600Z", "another secret").is_err());
    }

    #[test]
    fn header_values_are_trimmed_and_joined() {
        let headers = [
            ("Host", "example.amazonaws.com"),
            ("My-Header1", "  a   b   c  "),
            ("x-amz-date", "20150830T123600Z"),
            ("my-header1", "d"),
        ];
        let req = Request {
            method: "POST",
            path: "/a b/%2F",
            query: "b=2&a=1&a=0&c",
            headers: &headers,
            payload_hash: "x",
        };
        let signed: Vec<String> = ["host", "my-header1", "x-amz-date"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            canonical_request(&req, &signed).unwrap(),
            "POST\n/a%20b/%252F\na=0&a=1&b=2&c=\nhost:example.amazonaws.com\nmy-header1:a b c,d\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\nx"
        );
        let missing: Vec<String> = vec!["host".into(), "x-amz-target".into()];
        assert!(canonical_request(&req, &missing).is_none());
    }

    #[test]
    fn malformed_headers() {
        assert_eq!(parse_authorization("Basic abc"), Err(SigV4Error::Missing));
        assert!(matches!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/ecr/aws4_request"),
            Err(SigV4Error::Incomplete(m)) if m.contains("'SignedHeaders', 'Signature'")
        ));
        assert!(matches!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=AK/2015/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=00"),
            Err(SigV4Error::Incomplete(_))
        ));
        assert!(matches!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/ecr/aws5_request, SignedHeaders=host, Signature=00"),
            Err(SigV4Error::Incomplete(_))
        ));
        let a = parse_authorization("AWS4-HMAC-SHA256 Credential=AK/20150830/eu-west-1/ecr/aws4_request,SignedHeaders=Host;X-Amz-Date,Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31").unwrap();
        assert_eq!(a.region, "eu-west-1");
        assert_eq!(a.service, "ecr");
        assert_eq!(a.signed_headers, ["host", "x-amz-date"]);
    }

    #[test]
    fn dates_and_skew() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(t, 1_440_938_160);
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        assert_eq!(format_amz_date(951_782_400), "20000229T000000Z");
        for bad in [
            "20150830T123600",
            "2015-08-30T12:36:00Z",
            "20151330T123600Z",
            "2015083aT123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
        assert!(check_skew("x", t, t + 900).is_ok());
        assert!(check_skew("x", t, t - 900).is_ok());
        assert_eq!(
            check_skew("20150830T123600Z", t, t + 901),
            Err(SigV4Error::Invalid("Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)".into()))
        );
        assert!(
            matches!(check_skew("x", t, t - 901), Err(SigV4Error::Invalid(m)) if m.starts_with("Signature not yet current"))
        );
    }
}
