//! The parser under mutation, in every CI run: valid documents of every shape, mutated byte-wise
//! and structurally (values swapped for other JSON types, strings for tricky ones), fed to
//! [`super::fuzz_one`]. The coverage-guided fuzzer (`fuzz/`, cargo fuzz) runs the same harness
//! for longer.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use super::fuzz_one;

/// Seeds: documents that parse, covering every element and operator family.
fn seeds() -> Vec<Value> {
    vec![
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}}),
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "a", "Effect": "Deny", "NotAction": ["ecr:Get*", "ecr:Batch?etImage"],
            "NotResource": "arn:aws:ecr:*:111122223333:repository/${aws:username}/*",
            "Condition": {"StringLikeIfExists": {"aws:username": ["al*", "b?b"]}, "Bool": {"aws:SecureTransport": "false"}}}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:user/x"]},
            "Action": "ecr:BatchGetImage", "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]},
            "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}, "NumericGreaterThanEquals": {"aws:EpochTime": 5}}}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole", "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]},
            "ForAllValues:StringNotEquals": {"aws:TagKeys": "x"}, "Null": {"aws:RequestTag/team": "true"},
            "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}, "StringEqualsIgnoreCase": {"ecr:ResourceTag/team": "A"}}}]}),
        json!({"Version": "2008-10-17", "Id": "x", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecr.amazonaws.com", "Federated": "f"},
            "Action": ["ecr:*"], "Resource": ["*"], "Condition": {"NotIpAddressIfExists": {"aws:SourceIp": "0.0.0.0/0"}}}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "ecr:*"}]}),
    ]
}

const TRICKY: &[&str] = &[
    "",
    "*",
    "?",
    "${",
    "${aws:username",
    "${*}",
    "${?}",
    "${$}",
    "$",
    "}",
    "ecr:",
    ":",
    "::::::",
    "arn:aws:iam::111122223333:",
    "arn:aws:iam::111122223333:role/",
    "arn:aws:sts::1:assumed-role//",
    "255.255.255.255/33",
    "::/129",
    "1.2.3.4/-1",
    "9999-99-99T99:99:99Z",
    "-9223372036854775808",
    "18446744073709551616",
    "1e400",
    "NaN",
    "\u{0}",
    "é",
    "\u{10FFFF}",
    "ﬁ",
    "İ",
    "𝔸",
    "%00",
];

fn mutate_value(v: &mut Value, rng: &mut StdRng, depth: u32) {
    if depth > 6 {
        return;
    }
    match v {
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            if keys.is_empty() || rng.gen_ratio(1, 8) {
                let k = [
                    "Effect",
                    "Action",
                    "Condition",
                    "Principal",
                    "Sid",
                    "Statement",
                    "Version",
                    "Resource",
                    "x",
                ][rng.gen_range(0..9)];
                m.insert(k.to_string(), random_value(rng, depth));
                return;
            }
            let k = &keys[rng.gen_range(0..keys.len())];
            match rng.gen_range(0..4) {
                0 => {
                    m.remove(k);
                }
                1 => {
                    m.insert(k.clone(), random_value(rng, depth));
                }
                _ => {
                    if let Some(inner) = m.get_mut(k) {
                        mutate_value(inner, rng, depth + 1);
                    }
                }
            }
        }
        Value::Array(a) => {
            if a.is_empty() || rng.gen_ratio(1, 4) {
                a.push(random_value(rng, depth));
            } else {
                let i = rng.gen_range(0..a.len());
                if rng.gen_ratio(1, 3) {
                    a.remove(i);
                } else {
                    mutate_value(&mut a[i], rng, depth + 1);
                }
            }
        }
        Value::String(s) => {
            let t = TRICKY[rng.gen_range(0..TRICKY.len())];
            match rng.gen_range(0..3) {
                0 => *s = t.to_string(),
                1 => s.push_str(t),
                _ => {
                    let at = (0..=s.len())
                        .filter(|i| s.is_char_boundary(*i))
                        .nth(rng.gen_range(0..=s.chars().count()))
                        .unwrap_or(0);
                    s.insert_str(at, t);
                }
            }
        }
        other => *other = random_value(rng, depth),
    }
}

fn random_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.gen_range(0..7) {
        0 => Value::Null,
        1 => json!(rng.gen::<bool>()),
        2 => json!(rng.gen::<i64>()),
        3 => json!(rng.gen::<f64>() * 1e300),
        4 if depth < 4 => Value::Array(
            (0..rng.gen_range(0..3))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        5 if depth < 4 => {
            let mut m = serde_json::Map::new();
            for _ in 0..rng.gen_range(0..3) {
                m.insert(
                    TRICKY[rng.gen_range(0..TRICKY.len())].to_string(),
                    random_value(rng, depth + 1),
                );
            }
            Value::Object(m)
        }
        _ => json!(TRICKY[rng.gen_range(0..TRICKY.len())]),
    }
}

#[test]
fn no_mutation_of_a_valid_policy_panics() {
    let mut rng = StdRng::seed_from_u64(0x5eed_ba11);
    let seeds = seeds();
    for s in &seeds {
        // every seed is valid for some kind, so evaluation is exercised too
        let text = s.to_string();
        let kinds = [
            super::PolicyKind::Identity,
            super::PolicyKind::Resource,
            super::PolicyKind::Trust,
        ];
        assert!(
            kinds
                .iter()
                .any(|k| super::Policy::parse(&text, *k).is_ok()),
            "seed does not parse: {text}"
        );
    }
    let mut accepted = 0;
    for i in 0..20_000 {
        let mut v = seeds[i % seeds.len()].clone();
        for _ in 0..rng.gen_range(1..5) {
            mutate_value(&mut v, &mut rng, 0);
        }
        let mut bytes = v.to_string().into_bytes();
        if i % 5 == 0 && !bytes.is_empty() {
            // byte-level damage too: flips, truncation, duplication
            let at = rng.gen_range(0..bytes.len());
            match rng.gen_range(0..3) {
                0 => bytes[at] ^= 1 << rng.gen_range(0..8),
                1 => bytes.truncate(at),
                _ => {
                    let tail = bytes[at..].to_vec();
                    bytes.extend_from_slice(&tail);
                }
            }
        }
        accepted += fuzz_one(&bytes);
    }
    // the mutations leave enough documents valid for evaluation to be exercised as well
    assert!(accepted > 1_000, "only {accepted} mutated documents parsed");
}

#[test]
fn deep_nesting_and_huge_documents_are_refused_without_panicking() {
    fuzz_one("[".repeat(100_000).as_bytes());
    fuzz_one(format!("{{\"Statement\":{}}}", "[".repeat(10_000)).as_bytes());
    let big = format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{}]}}",
        vec![r#"{"Effect":"Allow","Action":"ecr:*","Resource":"*"}"#; 5000].join(",")
    );
    fuzz_one(big.as_bytes());
    fuzz_one(&[0xff, 0xfe, 0x00]);
}
