//! Lifecycle rules against AWS's documented examples and every rule type.

use super::policy::{evaluate, Candidate, LifecyclePolicy};

const DAY: i64 = 86_400_000;
const NOW: i64 = 1_000 * DAY;

fn image(digest: &str, tags: &[&str], days_ago: i64) -> Candidate {
    Candidate {
        digest: digest.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        pushed_at: NOW - days_ago * DAY,
        last_pulled_at: None,
    }
}

fn policy(rules: &str) -> LifecyclePolicy {
    LifecyclePolicy::parse(&format!(r#"{{"rules":[{rules}]}}"#))
        .unwrap_or_else(|e| panic!("{e}: {rules}"))
}

fn rule(priority: u32, selection: &str) -> String {
    format!(
        r#"{{"rulePriority":{priority},"selection":{{{selection}}},"action":{{"type":"expire"}}}}"#
    )
}

/// Which digests expire, with their rule, oldest first.
fn expired(p: &LifecyclePolicy, images: &[Candidate]) -> Vec<(String, u64)> {
    evaluate(p, images, NOW)
        .into_iter()
        .map(|(i, r)| (images[i].digest.clone(), r))
        .collect()
}

fn aws_example_images() -> Vec<Candidate> {
    vec![
        image("A", &["beta-1", "prod-1"], 10),
        image("B", &["beta-2", "prod-2"], 9),
        image("C", &["beta-3"], 8),
    ]
}

#[test]
fn aws_example_prod_rule_first_expires_only_a() {
    // Rule 1 keeps one prod image, rule 2 one beta image: rule 1 expires A and shields A and B,
    // which rule 2 still counts, so rule 2 (keeping C) expires nothing it may touch.
    let p = policy(&format!(
        "{},{}",
        rule(
            1,
            r#""tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":1"#
        ),
        rule(
            2,
            r#""tagStatus":"tagged","tagPrefixList":["beta"],"countType":"imageCountMoreThan","countNumber":1"#
        )
    ));
    assert_eq!(
        expired(&p, &aws_example_images()),
        vec![("A".to_string(), 1)]
    );
}

#[test]
fn aws_example_beta_rule_first_expires_a_and_b() {
    let p = policy(&format!(
        "{},{}",
        rule(
            1,
            r#""tagStatus":"tagged","tagPrefixList":["beta"],"countType":"imageCountMoreThan","countNumber":1"#
        ),
        rule(
            2,
            r#""tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":1"#
        )
    ));
    assert_eq!(
        expired(&p, &aws_example_images()),
        vec![("A".to_string(), 1), ("B".to_string(), 1)]
    );
}

#[test]
fn tag_lists_need_every_entry_matched() {
    let images = vec![
        image("both", &["latest", "main"], 5),
        image("latest-only", &["latest"], 4),
        image("main-1", &["main-1"], 3),
        image("none", &[], 2),
    ];
    // all-of semantics: only the image carrying both tags is selected
    let p = policy(&rule(
        1,
        r#""tagStatus":"tagged","tagPatternList":["latest","main"],"countType":"imageCountMoreThan","countNumber":1"#,
    ));
    assert!(expired(&p, &images).is_empty());
    let p = policy(&rule(
        1,
        r#""tagStatus":"tagged","tagPatternList":["main*"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1"#,
    ));
    assert_eq!(
        expired(&p, &images),
        vec![("both".to_string(), 1), ("main-1".to_string(), 1)]
    );
    // patterns are anchored and `*` matches any run, also empty
    let p = policy(&rule(
        1,
        r#""tagStatus":"tagged","tagPatternList":["*ates*"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1"#,
    ));
    assert_eq!(
        expired(&p, &images),
        vec![("both".to_string(), 1), ("latest-only".to_string(), 1)]
    );
    // prefixes: each must begin some tag
    let p = policy(&rule(
        1,
        r#""tagStatus":"tagged","tagPrefixList":["lat","mai"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1"#,
    ));
    assert_eq!(expired(&p, &images), vec![("both".to_string(), 1)]);
}

#[test]
fn every_count_type_and_tag_status() {
    let mut images = vec![
        image("old-untagged", &[], 30),
        image("new-untagged", &[], 1),
        image("old-tagged", &["v1"], 40),
        image("pulled-recently", &["v2"], 50),
    ];
    images[3].last_pulled_at = Some(NOW - 2 * DAY);
    let untagged = policy(&rule(
        1,
        r#""tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14"#,
    ));
    assert_eq!(
        expired(&untagged, &images),
        vec![("old-untagged".to_string(), 1)]
    );
    let keep_two = policy(&rule(
        1,
        r#""tagStatus":"any","countType":"imageCountMoreThan","countNumber":2"#,
    ));
    assert_eq!(
        expired(&keep_two, &images),
        vec![
            ("pulled-recently".to_string(), 1),
            ("old-tagged".to_string(), 1)
        ]
    );
    // not pulled for 7 days: never pulled counts from the push
    let pulled = policy(&rule(
        1,
        r#""tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":7"#,
    ));
    assert_eq!(
        expired(&pulled, &images),
        vec![
            ("old-tagged".to_string(), 1),
            ("old-untagged".to_string(), 1)
        ]
    );
}

#[test]
fn a_retain_rule_protects_what_it_keeps() {
    // Berth's extension: keep the newest two release images whatever lower rules say
    let images = vec![
        image("r1", &["release-1"], 90),
        image("r2", &["release-2"], 60),
        image("r3", &["release-3"], 30),
        image("dev", &["dev-9"], 20),
    ];
    let p = policy(&format!(
        r#"{{"rulePriority":1,"selection":{{"tagStatus":"tagged","tagPrefixList":["release"],"countType":"imageCountMoreThan","countNumber":2}},"action":{{"type":"retain"}}}},{}"#,
        rule(
            2,
            r#""tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":10"#
        )
    ));
    assert_eq!(
        expired(&p, &images),
        vec![("r1".to_string(), 2), ("dev".to_string(), 2)]
    );
}

#[test]
fn validation_failures_use_ecr_wording() {
    let cases = [
        (
            r#"{}"#,
            r#"object has missing required properties (["rules"])"#,
        ),
        (
            r#"{"rules":[],"x":1}"#,
            r#"object instance has properties which are not allowed by the schema: ["x"]"#,
        ),
        (
            r#"{"rules":[{"rulePriority":"1","selection":{},"action":{}}]}"#,
            r#"instance type (string) does not match any allowed primitive type (allowed: ["integer"])"#,
        ),
        (
            r#"{"rules":[{"rulePriority":0,"selection":{},"action":{}}]}"#,
            "numeric instance is lower than the required minimum (minimum: 1, found: 0)",
        ),
        (
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#,
            "tagPrefixList or tagPatternList is required when tagStatus is 'tagged'",
        ),
        (
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]}"#,
            "countUnit cannot be specified when countType is 'imageCountMoreThan'",
        ),
        (
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countNumber":1},"action":{"type":"expire"}}]}"#,
            "countUnit is required when countType is 'sinceImagePushed'",
        ),
        (
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["a*b*c*d*e*f"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#,
            "tagPatternList entry 'a*b*c*d*e*f' has more than the maximum of 4 wildcards",
        ),
        (
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","tagPrefixList":["a"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#,
            "tagPrefixList and tagPatternList can only be used when tagStatus is 'tagged'",
        ),
        (
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"some","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#,
            r#"instance value ("some") not found in enum (possible values: ["tagged","untagged","any"])"#,
        ),
    ];
    for (doc, want) in cases {
        match LifecyclePolicy::parse(doc) {
            Err(e) => assert_eq!(
                e.to_string(),
                format!("Lifecycle policy validation failure: {want}"),
                "{doc}"
            ),
            Ok(_) => panic!("accepted: {doc}"),
        }
    }
    // the `any` rule must come last; priorities are unique
    let any_first = format!(
        "{},{}",
        rule(
            1,
            r#""tagStatus":"any","countType":"imageCountMoreThan","countNumber":1"#
        ),
        rule(
            2,
            r#""tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1"#
        )
    );
    assert!(LifecyclePolicy::parse(&format!(r#"{{"rules":[{any_first}]}}"#)).is_err());
    let twice = format!(
        "{},{}",
        rule(
            3,
            r#""tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1"#
        ),
        rule(
            3,
            r#""tagStatus":"tagged","tagPrefixList":["x"],"countType":"imageCountMoreThan","countNumber":1"#
        )
    );
    assert!(LifecyclePolicy::parse(&format!(r#"{{"rules":[{twice}]}}"#)).is_err());
}
