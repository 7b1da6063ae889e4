//! The `Condition` element: operators, the `IfExists` suffix, the `ForAnyValue:` and
//! `ForAllValues:` set qualifiers, and their evaluation against the request context.

use serde_json::Value;

use super::pattern::{Pattern, Vars};
use super::{err, PolicyError, Version};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    BinaryEquals,
    IpAddress,
    Arn,
    Null,
}

/// A comparison of the request's value (left) with the policy's (right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

/// One operator applied to one key with its values.
#[derive(Debug, Clone)]
pub struct Condition {
    base: Base,
    negated: bool,
    if_exists: bool,
    set: Option<SetQualifier>,
    /// The context key, lower case (keys compare case-insensitively).
    key: String,
    values: Vec<Pattern>,
}

/// Multi-valued request context keys, looked up in lower case.
pub trait Keys: Vars {
    fn values(&self, key: &str) -> Option<&[String]>;
}

fn operator(name: &str) -> Option<(Base, bool)> {
    use Base::*;
    Some(match name {
        "StringEquals" => (StringEquals, false),
        "StringNotEquals" => (StringEquals, true),
        "StringEqualsIgnoreCase" => (StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (StringEqualsIgnoreCase, true),
        "StringLike" => (StringLike, false),
        "StringNotLike" => (StringLike, true),
        "NumericEquals" => (Numeric(Cmp::Eq), false),
        "NumericNotEquals" => (Numeric(Cmp::Eq), true),
        "NumericLessThan" => (Numeric(Cmp::Lt), false),
        "NumericLessThanEquals" => (Numeric(Cmp::Le), false),
        "NumericGreaterThan" => (Numeric(Cmp::Gt), false),
        "NumericGreaterThanEquals" => (Numeric(Cmp::Ge), false),
        "DateEquals" => (Date(Cmp::Eq), false),
        "DateNotEquals" => (Date(Cmp::Eq), true),
        "DateLessThan" => (Date(Cmp::Lt), false),
        "DateLessThanEquals" => (Date(Cmp::Le), false),
        "DateGreaterThan" => (Date(Cmp::Gt), false),
        "DateGreaterThanEquals" => (Date(Cmp::Ge), false),
        "Bool" => (Bool, false),
        "BinaryEquals" => (BinaryEquals, false),
        "IpAddress" => (IpAddress, false),
        "NotIpAddress" => (IpAddress, true),
        "ArnEquals" | "ArnLike" => (Arn, false),
        "ArnNotEquals" | "ArnNotLike" => (Arn, true),
        "Null" => (Null, false),
        _ => return None,
    })
}

/// The scalar forms a condition value may take, as text.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn parse_block(v: &Value, version: Version) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(ops) = v else {
        return err("Syntax errors in policy. Condition must be an object.");
    };
    let mut out = Vec::new();
    for (op_name, keys) in ops {
        let (set, rest) = if let Some(r) = op_name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else if let Some(r) = op_name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else {
            (None, op_name.as_str())
        };
        let (if_exists, rest) = match rest.strip_suffix("IfExists") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let Some((base, negated)) = operator(rest) else {
            return err(format!("Invalid Condition type : {op_name}."));
        };
        if base == Base::Null && (if_exists || set.is_some()) {
            return err(format!("Invalid Condition type : {op_name}."));
        }
        let Value::Object(keys) = keys else {
            return err(format!(
                "Syntax errors in policy. Condition {op_name} must map keys to values."
            ));
        };
        if keys.is_empty() {
            return err(format!(
                "Syntax errors in policy. Condition {op_name} names no key."
            ));
        }
        for (key, values) in keys {
            if key.is_empty() || key.len() > 256 {
                return err(format!("Invalid Condition key : {key}."));
            }
            let raw: Vec<String> = match values {
                Value::Array(a) => {
                    let mut out = Vec::with_capacity(a.len());
                    for x in a {
                        out.push(scalar(x).ok_or_else(|| {
                            PolicyError(format!(
                                "Syntax errors in policy. Condition {op_name} for {key} has a value that is not a string, number or boolean."
                            ))
                        })?);
                    }
                    out
                }
                other => vec![scalar(other).ok_or_else(|| {
                    PolicyError(format!(
                        "Syntax errors in policy. Condition {op_name} for {key} has a value that is not a string, number or boolean."
                    ))
                })?],
            };
            if raw.is_empty() {
                return err(format!(
                    "Syntax errors in policy. Condition {op_name} for {key} has no value."
                ));
            }
            let mut values = Vec::with_capacity(raw.len());
            for r in &raw {
                check_value(base, op_name, r)?;
                values.push(Pattern::compile(r, version == Version::V2012)?);
            }
            out.push(Condition {
                base,
                negated,
                if_exists,
                set,
                key: key.to_ascii_lowercase(),
                values,
            });
        }
    }
    Ok(out)
}

/// Values that can never compare are refused when the policy is written.
fn check_value(base: Base, op: &str, v: &str) -> Result<(), PolicyError> {
    let has_var = v.contains("${");
    let ok = has_var
        || match base {
            Base::Numeric(_) => v.trim().parse::<f64>().is_ok_and(f64::is_finite),
            Base::Date(_) => parse_date(v).is_some(),
            Base::Bool | Base::Null => {
                v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")
            }
            Base::IpAddress => parse_cidr(v).is_some(),
            _ => true,
        };
    if ok {
        Ok(())
    } else {
        err(format!("Invalid value {v} for Condition type {op}."))
    }
}

impl Condition {
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether the condition holds for the request described by `ctx`.
    pub fn holds(&self, ctx: &dyn Keys) -> bool {
        let present = ctx.values(&self.key).filter(|v| !v.is_empty());
        if self.base == Base::Null {
            let want_absent = self
                .values
                .iter()
                .any(|p| p.source().eq_ignore_ascii_case("true"));
            let want_present = self
                .values
                .iter()
                .any(|p| p.source().eq_ignore_ascii_case("false"));
            return if present.is_none() {
                want_absent
            } else {
                want_present
            };
        }
        let Some(values) = present else {
            if self.if_exists {
                return true;
            }
            return match self.set {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => self.negated,
            };
        };
        let matches_one = |v: &String| self.values.iter().any(|p| self.compare(v, p, ctx));
        match (self.set, self.negated) {
            (None, false) | (Some(SetQualifier::ForAnyValue), false) => {
                values.iter().any(matches_one)
            }
            (None, true) | (Some(SetQualifier::ForAllValues), true) => {
                !values.iter().any(matches_one)
            }
            (Some(SetQualifier::ForAnyValue), true) => values.iter().any(|v| !matches_one(v)),
            (Some(SetQualifier::ForAllValues), false) => values.iter().all(matches_one),
        }
    }

    /// The positive form of the operator: does the request's `v` match the policy's `p`?
    fn compare(&self, v: &str, p: &Pattern, ctx: &dyn Keys) -> bool {
        match self.base {
            Base::StringEquals => p.expand(ctx).is_some_and(|e| e == v),
            Base::StringEqualsIgnoreCase => p
                .expand(ctx)
                .is_some_and(|e| e.to_lowercase() == v.to_lowercase()),
            Base::StringLike => p.matches(v, ctx, true, false),
            Base::Numeric(cmp) => {
                let (Some(a), Some(b)) = (
                    v.trim().parse::<f64>().ok(),
                    p.expand(ctx).and_then(|e| e.trim().parse::<f64>().ok()),
                ) else {
                    return false;
                };
                compare(cmp, a.partial_cmp(&b))
            }
            Base::Date(cmp) => {
                let (Some(a), Some(b)) =
                    (parse_date(v), p.expand(ctx).and_then(|e| parse_date(&e)))
                else {
                    return false;
                };
                compare(cmp, Some(a.cmp(&b)))
            }
            Base::Bool => p.expand(ctx).is_some_and(|e| e.eq_ignore_ascii_case(v)),
            Base::BinaryEquals => p.expand(ctx).is_some_and(|e| e == v),
            Base::IpAddress => {
                let (Some(ip), Some(net)) = (
                    v.parse::<std::net::IpAddr>().ok(),
                    p.expand(ctx).and_then(|e| parse_cidr(&e)),
                ) else {
                    return false;
                };
                net.contains(ip)
            }
            Base::Arn => arn_like(v, p, ctx),
            Base::Null => false,
        }
    }
}

fn compare(cmp: Cmp, o: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    matches!(
        (cmp, o),
        (Cmp::Eq, Some(Equal))
            | (Cmp::Lt, Some(Less))
            | (Cmp::Le, Some(Less | Equal))
            | (Cmp::Gt, Some(Greater))
            | (Cmp::Ge, Some(Greater | Equal))
    )
}

/// ARNs compare segment by segment (the six colon-separated parts), each with wildcards.
fn arn_like(v: &str, p: &Pattern, ctx: &dyn Keys) -> bool {
    let Some(pat) = p.expand(ctx) else {
        return false;
    };
    if pat == "*" {
        return true;
    }
    let vs: Vec<&str> = v.splitn(6, ':').collect();
    let ps: Vec<&str> = pat.splitn(6, ':').collect();
    if vs.len() != 6 || ps.len() != 6 {
        return false;
    }
    vs.iter()
        .zip(&ps)
        .all(|(v, p)| Pattern::literal_glob(p, p).matches(v, &NoVars, true, false))
}

struct NoVars;
impl Vars for NoVars {
    fn var(&self, _: &str) -> Option<&str> {
        None
    }
}

/// An address range (`10.0.0.0/8`, `2001:db8::/32`, or one address).
#[derive(Debug, Clone, Copy)]
pub struct Cidr {
    addr: std::net::IpAddr,
    bits: u8,
}

impl Cidr {
    fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::*;
        match (self.addr, ip) {
            (V4(n), V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (V6(n), V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.bits))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            // an IPv4 client seen through an IPv6 socket
            (V4(_), V6(a)) => a
                .to_ipv4_mapped()
                .is_some_and(|a4| self.contains(std::net::IpAddr::V4(a4))),
            (V6(_), V4(_)) => false,
        }
    }
}

pub fn parse_cidr(s: &str) -> Option<Cidr> {
    let s = s.trim();
    let (a, bits) = match s.split_once('/') {
        Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let addr: std::net::IpAddr = a.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some(Cidr { addr, bits })
}

/// ISO 8601 (`2026-11-23`, `2026-11-23T12:00:00Z`, with fractions and `±hh:mm` offsets) or epoch
/// seconds, as epoch milliseconds.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok()?.checked_mul(1000);
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    if b.len() < 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let days = crate::sigv4::days_from_civil(y, mo, d);
    let mut millis = days.checked_mul(86_400_000)?;
    if b.len() == 10 {
        return Some(millis);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.len() < 16 || b.get(13) != Some(&b':') {
        return None;
    }
    let (h, mi) = (num(11..13)?, num(14..16)?);
    let mut i = 16;
    let mut sec = 0;
    let mut frac_ms = 0;
    if b.get(i) == Some(&b':') {
        sec = num(17..19)?;
        i = 19;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while b.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end == start {
                return None;
            }
            let digits = s.get(start..end.min(start + 3))?;
            frac_ms = digits.parse::<i64>().ok()? * 10_i64.pow(3 - digits.len() as u32);
            i = end;
        }
    }
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let offset_min = match s.get(i..)? {
        "Z" | "z" | "" => 0,
        tz => {
            let sign = match tz.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let tz = tz.get(1..)?.replace(':', "");
            if tz.len() != 4 || !tz.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let v: i64 = tz.parse().ok()?;
            sign * (v / 100 * 60 + v % 100)
        }
    };
    millis += ((h * 60 + mi - offset_min) * 60 + sec) * 1000 + frac_ms;
    Some(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_date("1970-01-01T00:00:00.5Z"), Some(500));
        assert_eq!(parse_date("86400"), Some(86_400_000));
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2026-01-01T"), None);
    }

    #[test]
    fn cidrs() {
        let n = parse_cidr("10.1.0.0/16").unwrap();
        assert!(n.contains("10.1.2.3".parse().unwrap()));
        assert!(!n.contains("10.2.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:10.1.0.9".parse().unwrap()));
        assert!(parse_cidr("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(parse_cidr("2001:db8::/32")
            .unwrap()
            .contains("2001:db8::1".parse().unwrap()));
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("x").is_none());
    }
}
