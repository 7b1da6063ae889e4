//! The policy language against a table of cases: validation messages, and evaluation as AWS's
//! documentation describes it (explicit deny, same- and cross-account, NotAction/NotResource/
//! NotPrincipal, conditions with and without IfExists and set qualifiers, variables).

use super::eval::{Caller, Context, Decision, Evaluation};
use super::{Policy, PolicyKind};

const A: &str = "111111111111";
const B: &str = "222222222222";

fn identity(doc: &str) -> Policy {
    Policy::parse(doc, PolicyKind::Identity).unwrap_or_else(|e| panic!("{e}: {doc}"))
}

fn resource(doc: &str) -> Policy {
    Policy::parse(doc, PolicyKind::Resource).unwrap_or_else(|e| panic!("{e}: {doc}"))
}

fn user(account: &str, name: &str) -> Caller {
    Caller {
        account: account.into(),
        arn: format!("arn:aws:iam::{account}:user/{name}"),
        role_arn: None,
        root: false,
    }
}

fn root(account: &str) -> Caller {
    Caller {
        account: account.into(),
        arn: format!("arn:aws:iam::{account}:root"),
        role_arn: None,
        root: true,
    }
}

fn session(account: &str, role: &str, name: &str) -> Caller {
    Caller {
        account: account.into(),
        arn: format!("arn:aws:sts::{account}:assumed-role/{role}/{name}"),
        role_arn: Some(format!("arn:aws:iam::{account}:role/{role}")),
        root: false,
    }
}

fn repo(account: &str, name: &str) -> String {
    format!("arn:aws:ecr:us-east-1:{account}:repository/{name}")
}

fn context_for(c: &Caller) -> Context {
    let mut ctx = Context::new();
    ctx.set(
        "aws:PrincipalArn",
        c.role_arn.clone().unwrap_or(c.arn.clone()),
    )
    .set("aws:PrincipalAccount", c.account.clone())
    .set("aws:SourceIp", "10.0.0.5")
    .set("aws:SecureTransport", "false")
    .set("aws:CurrentTime", "2026-11-23T12:00:00Z")
    .set("aws:EpochTime", "1795435200");
    if let Some(name) = c
        .arn
        .strip_prefix(&format!("arn:aws:iam::{}:user/", c.account))
    {
        ctx.set("aws:username", name);
    }
    ctx
}

fn decide(
    c: &Caller,
    action: &str,
    res: &str,
    ctx: &Context,
    ids: &[&Policy],
    rps: &[&Policy],
) -> Decision {
    let resource_account = res
        .split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .unwrap_or(&c.account);
    Evaluation {
        action,
        resource: res,
        resource_account,
        caller: c,
        context: ctx,
    }
    .decide(ids, rps)
}

const ECR_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]}"#;

#[test]
fn validation_messages() {
    let cases: &[(PolicyKind, &str, &str)] = &[
        (PolicyKind::Identity, "not json", "Syntax errors in policy."),
        (PolicyKind::Identity, "[]", "Syntax errors in policy."),
        (
            PolicyKind::Identity,
            r#"{"Version":"2012-10-17"}"#,
            "Missing required field Statement",
        ),
        (
            PolicyKind::Identity,
            r#"{"Version":"2013-01-01","Statement":[]}"#,
            "The policy must contain a valid version string",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"ecr:*"}}"#,
            "Policy statement must contain resources.",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Resource":"*"}}"#,
            "Policy statement must contain actions.",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Maybe","Action":"ecr:*","Resource":"*"}}"#,
            "Invalid effect: Maybe",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Action":"ecr:*","Resource":"*"}}"#,
            "Missing required field Effect",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"PutImage","Resource":"*"}}"#,
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"ecr:*","Resource":"repo"}}"#,
            "Resource repo must be in ARN format or \"*\".",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"ecr:*","Resource":"*"}}"#,
            "Policy document should not specify a principal.",
        ),
        (
            PolicyKind::Resource,
            r#"{"Statement":{"Effect":"Allow","Action":"ecr:*"}}"#,
            "Missing required field Principal",
        ),
        (
            PolicyKind::Resource,
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"ecr:*"}}"#,
            "Invalid principal in policy: \"*\"",
        ),
        (
            PolicyKind::Resource,
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"ecr:*"}}"#,
            "Invalid principal in policy: \"AWS\":\"bob\"",
        ),
        (
            PolicyKind::Resource,
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/*"},"Action":"ecr:*"}}"#,
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111111111111:user/*\"",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":[{"Sid":"a","Effect":"Allow","Action":"ecr:*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"ecr:*","Resource":"*"}]}"#,
            "Statement IDs (SID) in a single policy must be unique.",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"ecr:*","Resource":"*","Condition":{"StringEqualz":{"a:b":"c"}}}}"#,
            "Invalid Condition type : StringEqualz.",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"ecr:*","Resource":"*","Condition":{"NullIfExists":{"a:b":"true"}}}}"#,
            "Invalid Condition type : NullIfExists.",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"ecr:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/99"}}}}"#,
            "Invalid value 10.0.0.0/99 for Condition type IpAddress.",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"ecr:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"soon"}}}}"#,
            "Invalid value soon for Condition type DateLessThan.",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"ecr:*","NotAction":"ecr:PutImage","Resource":"*"}}"#,
            "Syntax errors in policy. Action and NotAction cannot both be given.",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":[]}"#,
            "Policy statement must contain at least one statement.",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":["ecr:*",3],"Resource":"*"}}"#,
            "Syntax errors in policy. Action must be a string or a list of strings.",
        ),
    ];
    for (kind, doc, want) in cases {
        match Policy::parse(doc, *kind) {
            Ok(_) => panic!("accepted: {doc}"),
            Err(e) => assert_eq!(e.0, *want, "for {doc}"),
        }
    }
    // accepted forms
    for doc in [
        r#"{"Version":"2012-10-17","Statement":{"Sid":"x","Effect":"Allow","Principal":{"AWS":["222222222222","arn:aws:iam::222222222222:user/bob","arn:aws:iam::222222222222:role/ci"]},"Action":["ecr:BatchGetImage"]}}"#,
        r#"{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:sts::111111111111:assumed-role/r/s"},"NotAction":"ecr:Get*","Resource":"*"}]}"#,
        r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"ecr.amazonaws.com"},"Action":"ecr:ReplicateImage"}}"#,
    ] {
        Policy::parse(doc, PolicyKind::Resource).unwrap_or_else(|e| panic!("{e}: {doc}"));
    }
}

#[test]
fn default_deny_and_explicit_deny_wins() {
    let alice = user(A, "alice");
    let ctx = context_for(&alice);
    let all = identity(ECR_ALL);
    let deny_delete = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ecr:DeleteRepository","Resource":"*"}]}"#,
    );
    let r = repo(A, "app");
    assert_eq!(
        decide(&alice, "ecr:PutImage", &r, &ctx, &[], &[]),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(&alice, "ecr:PutImage", &r, &ctx, &[&all], &[]),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &alice,
            "ecr:DeleteRepository",
            &r,
            &ctx,
            &[&all, &deny_delete],
            &[]
        ),
        Decision::ExplicitDeny
    );
    // a deny in the repository policy overrides the identity allow, for the root user too
    let rp = resource(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"ecr:PutImage"}]}"#,
    );
    assert_eq!(
        decide(&alice, "ecr:PutImage", &r, &ctx, &[&all], &[&rp]),
        Decision::ExplicitDeny
    );
    let root_a = root(A);
    assert_eq!(
        decide(&root_a, "ecr:PutImage", &r, &ctx, &[], &[&rp]),
        Decision::ExplicitDeny
    );
    assert_eq!(
        decide(&root_a, "ecr:BatchGetImage", &r, &ctx, &[], &[&rp]),
        Decision::Allow
    );
    // actions compare case-insensitively
    assert_eq!(
        decide(&alice, "ECR:putimage", &r, &ctx, &[&all], &[]),
        Decision::Allow
    );
}

#[test]
fn not_action_and_not_resource() {
    let alice = user(A, "alice");
    let ctx = context_for(&alice);
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["ecr:Delete*","ecr:BatchDeleteImage"],"Resource":"*"}]}"#,
    );
    let r = repo(A, "app");
    assert!(decide(&alice, "ecr:PutImage", &r, &ctx, &[&p], &[]).allowed());
    assert!(!decide(&alice, "ecr:DeleteRepository", &r, &ctx, &[&p], &[]).allowed());
    assert!(!decide(&alice, "ecr:BatchDeleteImage", &r, &ctx, &[&p], &[]).allowed());
    let q = identity(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"ecr:*","NotResource":"{}"}}]}}"#,
        repo(A, "prod/*")
    ));
    assert!(decide(&alice, "ecr:PutImage", &r, &ctx, &[&q], &[]).allowed());
    assert!(!decide(
        &alice,
        "ecr:PutImage",
        &repo(A, "prod/web"),
        &ctx,
        &[&q],
        &[]
    )
    .allowed());
}

#[test]
fn resource_patterns_and_variables() {
    let alice = user(A, "alice");
    let ctx = context_for(&alice);
    let team = identity(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["ecr:PutImage","ecr:InitiateLayerUpload"],"Resource":"arn:aws:ecr:*:{A}:repository/team-a/*"}}]}}"#
    ));
    assert!(decide(
        &alice,
        "ecr:PutImage",
        &repo(A, "team-a/web"),
        &ctx,
        &[&team],
        &[]
    )
    .allowed());
    assert!(!decide(
        &alice,
        "ecr:PutImage",
        &repo(A, "team-b/web"),
        &ctx,
        &[&team],
        &[]
    )
    .allowed());
    assert!(!decide(
        &alice,
        "ecr:PutImage",
        &repo(A, "team-a"),
        &ctx,
        &[&team],
        &[]
    )
    .allowed());
    // registry-level operations are on "*", which a repository ARN does not match
    assert!(!decide(&alice, "ecr:PutImage", "*", &ctx, &[&team], &[]).allowed());

    let own = identity(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:{A}:repository/${{aws:username}}/*"}}]}}"#
    ));
    assert!(decide(
        &alice,
        "ecr:PutImage",
        &repo(A, "alice/app"),
        &ctx,
        &[&own],
        &[]
    )
    .allowed());
    assert!(!decide(
        &alice,
        "ecr:PutImage",
        &repo(A, "bob/app"),
        &ctx,
        &[&own],
        &[]
    )
    .allowed());
    // a role session has no aws:username: the variable matches nothing
    let s = session(A, "ci", "alice");
    let sctx = context_for(&s);
    assert!(!decide(
        &s,
        "ecr:PutImage",
        &repo(A, "alice/app"),
        &sctx,
        &[&own],
        &[]
    )
    .allowed());
    // in a 2008-10-17 document the variable is literal text
    let legacy = identity(&format!(
        r#"{{"Statement":[{{"Effect":"Allow","Action":"ecr:*","Resource":"arn:aws:ecr:*:{A}:repository/${{aws:username}}/*"}}]}}"#
    ));
    assert!(!decide(
        &alice,
        "ecr:PutImage",
        &repo(A, "alice/app"),
        &ctx,
        &[&legacy],
        &[]
    )
    .allowed());
}

#[test]
fn same_account_resource_policies() {
    let alice = user(A, "alice");
    let ctx = context_for(&alice);
    let r = repo(A, "app");
    let names_alice = resource(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:user/alice"}},"Action":"ecr:BatchGetImage"}}]}}"#
    ));
    let names_account = resource(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{A}"}},"Action":"ecr:BatchGetImage"}}]}}"#
    ));
    let everyone = resource(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"ecr:BatchGetImage"}]}"#,
    );
    // naming the user suffices without an identity policy
    assert!(decide(&alice, "ecr:BatchGetImage", &r, &ctx, &[], &[&names_alice]).allowed());
    assert!(!decide(&alice, "ecr:PutImage", &r, &ctx, &[], &[&names_alice]).allowed());
    assert!(decide(&alice, "ecr:BatchGetImage", &r, &ctx, &[], &[&everyone]).allowed());
    // naming the account delegates to the account's identity policies
    assert!(!decide(
        &alice,
        "ecr:BatchGetImage",
        &r,
        &ctx,
        &[],
        &[&names_account]
    )
    .allowed());
    let all = identity(ECR_ALL);
    assert!(decide(
        &alice,
        "ecr:BatchGetImage",
        &r,
        &ctx,
        &[&all],
        &[&names_account]
    )
    .allowed());
    // a role ARN in a resource policy covers the role's sessions
    let s = session(A, "deploy", "s1");
    let names_role = resource(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:role/deploy"}},"Action":"ecr:BatchGetImage"}}]}}"#
    ));
    assert!(decide(
        &s,
        "ecr:BatchGetImage",
        &r,
        &context_for(&s),
        &[],
        &[&names_role]
    )
    .allowed());
}

#[test]
fn cross_account_needs_both_sides() {
    let bob = user(B, "bob");
    let ctx = context_for(&bob);
    let r = repo(A, "shared");
    let grant_b = resource(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"pull","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{B}:root"}},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}}]}}"#
    ));
    let bob_ecr = identity(ECR_ALL);
    assert_eq!(
        decide(&bob, "ecr:BatchGetImage", &r, &ctx, &[&bob_ecr], &[]),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(&bob, "ecr:BatchGetImage", &r, &ctx, &[], &[&grant_b]),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(
            &bob,
            "ecr:BatchGetImage",
            &r,
            &ctx,
            &[&bob_ecr],
            &[&grant_b]
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(&bob, "ecr:PutImage", &r, &ctx, &[&bob_ecr], &[&grant_b]),
        Decision::ImplicitDeny
    );
    // the other account's root needs only the resource policy on its side
    let root_b = root(B);
    assert!(decide(
        &root_b,
        "ecr:BatchGetImage",
        &r,
        &context_for(&root_b),
        &[],
        &[&grant_b]
    )
    .allowed());
    assert!(!decide(
        &root_b,
        "ecr:BatchGetImage",
        &r,
        &context_for(&root_b),
        &[],
        &[]
    )
    .allowed());
    // a third account is not named
    let carol = user("333333333333", "carol");
    assert!(!decide(
        &carol,
        "ecr:BatchGetImage",
        &r,
        &context_for(&carol),
        &[&bob_ecr],
        &[&grant_b]
    )
    .allowed());
}

#[test]
fn not_principal_deny() {
    // deny everyone but one session (listing the session ARN, as AWS requires)
    let p = resource(&format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"ecr:*"}},
            {{"Effect":"Deny","NotPrincipal":{{"AWS":["arn:aws:sts::{A}:assumed-role/admin/ops","arn:aws:iam::{A}:role/admin"]}},"Action":"ecr:DeleteRepository"}}]}}"#
    ));
    let r = repo(A, "app");
    let ops = session(A, "admin", "ops");
    let other = session(A, "admin", "other");
    let alice = user(A, "alice");
    assert!(decide(
        &ops,
        "ecr:DeleteRepository",
        &r,
        &context_for(&ops),
        &[],
        &[&p]
    )
    .allowed());
    assert_eq!(
        decide(
            &other,
            "ecr:DeleteRepository",
            &r,
            &context_for(&other),
            &[],
            &[&p]
        ),
        Decision::ExplicitDeny
    );
    assert_eq!(
        decide(
            &alice,
            "ecr:DeleteRepository",
            &r,
            &context_for(&alice),
            &[],
            &[&p]
        ),
        Decision::ExplicitDeny
    );
    assert!(decide(&alice, "ecr:PutImage", &r, &context_for(&alice), &[], &[&p]).allowed());
}

/// One identity policy: allow ecr:* under `condition`.
fn with_condition(condition: &str) -> Policy {
    identity(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"ecr:*","Resource":"*","Condition":{condition}}}]}}"#
    ))
}

#[test]
fn conditions() {
    let alice = user(A, "alice");
    let mut ctx = context_for(&alice);
    ctx.set_many("aws:TagKeys", vec!["team".into(), "env".into()])
        .set("aws:RequestTag/team", "a")
        .set("ecr:ResourceTag/env", "prod");
    let r = repo(A, "app");
    let cases: &[(&str, bool)] = &[
        // strings; keys compare case-insensitively, values case-sensitively
        (r#"{"StringEquals":{"aws:username":"alice"}}"#, true),
        (r#"{"StringEquals":{"AWS:UserName":"alice"}}"#, true),
        (r#"{"StringEquals":{"aws:username":"Alice"}}"#, false),
        (
            r#"{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}"#,
            true,
        ),
        (r#"{"StringEquals":{"aws:username":["bob","alice"]}}"#, true),
        (
            r#"{"StringNotEquals":{"aws:username":["bob","alice"]}}"#,
            false,
        ),
        (r#"{"StringNotEquals":{"aws:username":"bob"}}"#, true),
        (
            r#"{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/a*"}}"#,
            true,
        ),
        (
            r#"{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/a*"}}"#,
            false,
        ),
        // a missing key: positive operators fail, negated ones hold, IfExists holds
        (
            r#"{"StringEquals":{"aws:ResourceTag/owner":"alice"}}"#,
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:ResourceTag/owner":"alice"}}"#,
            true,
        ),
        (
            r#"{"StringEqualsIfExists":{"aws:ResourceTag/owner":"alice"}}"#,
            true,
        ),
        (
            r#"{"StringEqualsIfExists":{"ecr:ResourceTag/env":"dev"}}"#,
            false,
        ),
        (
            r#"{"StringEqualsIfExists":{"ecr:ResourceTag/env":"prod"}}"#,
            true,
        ),
        (r#"{"Null":{"aws:ResourceTag/owner":"true"}}"#, true),
        (r#"{"Null":{"ecr:ResourceTag/env":"true"}}"#, false),
        (r#"{"Null":{"ecr:ResourceTag/env":"false"}}"#, true),
        // set qualifiers over a multi-valued key
        (
            r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env","cost"]}}"#,
            true,
        ),
        (
            r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}"#,
            false,
        ),
        (
            r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}"#,
            true,
        ),
        (
            r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["cost"]}}"#,
            false,
        ),
        (
            r#"{"ForAllValues:StringEquals":{"aws:NoSuchKey":["x"]}}"#,
            true,
        ),
        (
            r#"{"ForAnyValue:StringEquals":{"aws:NoSuchKey":["x"]}}"#,
            false,
        ),
        (
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["team"]}}"#,
            true,
        ),
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["cost"]}}"#,
            true,
        ),
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["team"]}}"#,
            false,
        ),
        // addresses
        (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/24"}}"#, true),
        (
            r#"{"IpAddress":{"aws:SourceIp":["192.168.0.0/16","10.0.0.5"]}}"#,
            true,
        ),
        (r#"{"IpAddress":{"aws:SourceIp":"192.168.0.0/16"}}"#, false),
        (
            r#"{"NotIpAddress":{"aws:SourceIp":"192.168.0.0/16"}}"#,
            true,
        ),
        // numbers, dates, booleans
        (r#"{"NumericLessThan":{"aws:EpochTime":1900000000}}"#, true),
        (
            r#"{"NumericGreaterThanEquals":{"aws:EpochTime":"1795435200"}}"#,
            true,
        ),
        (
            r#"{"NumericGreaterThan":{"aws:EpochTime":1795435200}}"#,
            false,
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}"#,
            true,
        ),
        (
            r#"{"DateGreaterThan":{"aws:CurrentTime":"2027-01-01"}}"#,
            false,
        ),
        (
            r#"{"DateEquals":{"aws:CurrentTime":"2026-11-23T13:00:00+01:00"}}"#,
            true,
        ),
        (r#"{"Bool":{"aws:SecureTransport":"false"}}"#, true),
        (r#"{"Bool":{"aws:SecureTransport":true}}"#, false),
        (
            r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}"#,
            true,
        ),
        // ARNs, segment by segment
        (
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/*"}}"#,
            true,
        ),
        (
            r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:user/alice"}}"#,
            true,
        ),
        (
            r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::222222222222:*"}}"#,
            true,
        ),
        // variables inside condition values
        (
            r#"{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/${aws:username}"}}"#,
            true,
        ),
        (
            r#"{"StringLike":{"ecr:ResourceTag/env":"${aws:NoSuchKey}"}}"#,
            false,
        ),
        // every operator and key must hold
        (
            r#"{"StringEquals":{"aws:username":"alice","aws:RequestTag/team":"a"},"Bool":{"aws:SecureTransport":"false"}}"#,
            true,
        ),
        (
            r#"{"StringEquals":{"aws:username":"alice","aws:RequestTag/team":"b"}}"#,
            false,
        ),
    ];
    for (cond, want) in cases {
        let p = with_condition(cond);
        assert_eq!(
            decide(&alice, "ecr:PutImage", &r, &ctx, &[&p], &[]).allowed(),
            *want,
            "condition {cond}"
        );
    }
}

/// AWS's documented example: deny everything from outside the corporate ranges (Deny with
/// NotIpAddress), which overrides the user's allow.
#[test]
fn source_ip_deny_example() {
    let alice = user(A, "alice");
    let deny = identity(
        r#"{
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "NotIpAddress": { "aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"] },
                "Bool": { "aws:ViaAWSService": "false" }
            }
        }
    }"#,
    );
    let all = identity(ECR_ALL);
    let r = repo(A, "app");
    let mut ctx = context_for(&alice);
    ctx.set("aws:ViaAWSService", "false");
    assert_eq!(
        decide(&alice, "ecr:PutImage", &r, &ctx, &[&all, &deny], &[]),
        Decision::ExplicitDeny
    );
    ctx.set("aws:SourceIp", "203.0.113.9");
    assert_eq!(
        decide(&alice, "ecr:PutImage", &r, &ctx, &[&all, &deny], &[]),
        Decision::Allow
    );
}

/// The managed policies grant what their names say.
#[test]
fn managed_policies() {
    let alice = user(A, "alice");
    let ctx = context_for(&alice);
    let r = repo(A, "app");
    let get = |n: &str| super::managed::policy(&format!("arn:aws:iam::aws:policy/{n}")).unwrap();
    let ro = get("AmazonEC2ContainerRegistryReadOnly");
    let pull = get("AmazonEC2ContainerRegistryPullOnly");
    let power = get("AmazonEC2ContainerRegistryPowerUser");
    let full = get("AmazonEC2ContainerRegistryFullAccess");
    for (p, action, want) in [
        (ro, "ecr:BatchGetImage", true),
        (ro, "ecr:DescribeRepositories", true),
        (ro, "ecr:PutImage", false),
        (pull, "ecr:GetDownloadUrlForLayer", true),
        (pull, "ecr:DescribeRepositories", false),
        (power, "ecr:PutImage", true),
        (power, "ecr:DeleteRepository", false),
        (power, "ecr:SetRepositoryPolicy", false),
        (full, "ecr:DeleteRepository", true),
        (full, "iam:CreateUser", false),
    ] {
        assert_eq!(
            decide(&alice, action, &r, &ctx, &[p], &[]).allowed(),
            want,
            "{action}"
        );
    }
    assert!(decide(&alice, "ecr:GetAuthorizationToken", "*", &ctx, &[pull], &[]).allowed());
}
