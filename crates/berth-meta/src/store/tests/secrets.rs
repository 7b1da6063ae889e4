//! Secrets and pull-through cache rules on both backends.

use super::*;
use crate::{CacheRule, NewVersion, StoredSecret};

const ACCOUNT: &str = "000000000000";

fn secret(name: &str, suffix: &str) -> StoredSecret {
    StoredSecret {
        arn: format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{name}-{suffix}"),
        account_id: ACCOUNT.into(),
        name: name.into(),
        description: Some("upstream".into()),
        kms_key_id: None,
        tags: "[]".into(),
        created_at: now_millis(),
        changed_at: now_millis(),
        accessed_at: None,
        deleted_at: None,
    }
}

fn value(id: &str, sealed: &[u8]) -> NewVersion {
    NewVersion {
        version_id: id.into(),
        is_binary: false,
        value_sealed: sealed.to_vec(),
    }
}

async fn secrets_keep_two_staged_versions_and_names_until_purged(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let hub = secret("ecr-pullthroughcache/hub", "AbCdEf");
    s.create_secret(&hub, Some(&value("v1", b"sealed-1")))
        .await
        .unwrap();
    assert!(matches!(
        s.create_secret(&secret("ecr-pullthroughcache/hub", "Zzzzzz"), None)
            .await,
        Err(MetaError::SecretExists)
    ));
    // by name or by ARN
    let by_name = s.secret(ACCOUNT, "ecr-pullthroughcache/hub").await.unwrap();
    let by_arn = s.secret(ACCOUNT, &hub.arn).await.unwrap();
    assert_eq!(by_name, by_arn);
    assert!(s.secret("111111111111", &hub.arn).await.unwrap().is_none());
    // new values: current, previous, and the one before dropped
    s.put_secret_value(&hub.arn, &value("v2", b"sealed-2"))
        .await
        .unwrap();
    s.put_secret_value(&hub.arn, &value("v3", b"sealed-3"))
        .await
        .unwrap();
    assert!(matches!(
        s.put_secret_value(&hub.arn, &value("v3", b"again")).await,
        Err(MetaError::SecretVersionExists)
    ));
    let versions = s.secret_versions(&hub.arn).await.unwrap();
    let staged: Vec<(&str, Option<&str>, &[u8])> = versions
        .iter()
        .map(|v| {
            (
                v.version_id.as_str(),
                v.stage.as_deref(),
                v.value_sealed.as_slice(),
            )
        })
        .collect();
    assert_eq!(
        staged,
        [
            ("v3", Some("AWSCURRENT"), &b"sealed-3"[..]),
            ("v2", Some("AWSPREVIOUS"), &b"sealed-2"[..])
        ]
    );
    s.secret_accessed(&hub.arn).await.unwrap();
    assert!(s
        .secret(ACCOUNT, &hub.arn)
        .await
        .unwrap()
        .unwrap()
        .accessed_at
        .is_some());
    // listing by name, deleted ones only when asked
    let other = secret("other", "QwErTy");
    s.create_secret(&other, None).await.unwrap();
    let names = |l: Vec<StoredSecret>| l.into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(
        names(s.list_secrets(ACCOUNT, false, None, 10).await.unwrap()),
        ["ecr-pullthroughcache/hub", "other"]
    );
    assert_eq!(
        names(
            s.list_secrets(ACCOUNT, false, Some("ecr-pullthroughcache/hub"), 10)
                .await
                .unwrap()
        ),
        ["other"]
    );
    s.schedule_secret_deletion(&other.arn, now_millis() + 60_000)
        .await
        .unwrap();
    assert_eq!(
        names(s.list_secrets(ACCOUNT, false, None, 10).await.unwrap()),
        ["ecr-pullthroughcache/hub"]
    );
    assert_eq!(
        s.list_secrets(ACCOUNT, true, None, 10).await.unwrap().len(),
        2
    );
    // its name is held until the deletion date, then free
    assert!(matches!(
        s.create_secret(&secret("other", "Again1"), None).await,
        Err(MetaError::SecretExists)
    ));
    s.schedule_secret_deletion(&other.arn, now_millis() - 1)
        .await
        .unwrap();
    s.create_secret(&secret("other", "Again1"), None)
        .await
        .unwrap();
    // deleted at once, values and all
    s.delete_secret(&hub.arn).await.unwrap();
    assert!(s.secret(ACCOUNT, &hub.arn).await.unwrap().is_none());
    assert!(s.secret_versions(&hub.arn).await.unwrap().is_empty());
}

async fn cache_rules_by_prefix(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let rule = CacheRule {
        prefix: "docker-hub".into(),
        upstream_url: "registry-1.docker.io".into(),
        upstream_registry: "docker-hub".into(),
        upstream_prefix: "ROOT".into(),
        credential_arn: Some(
            "arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache/hub-AbCdEf"
                .into(),
        ),
        custom_role_arn: None,
        created_at: 0,
        updated_at: 0,
    };
    let created = s.create_cache_rule(ACCOUNT, &rule).await.unwrap();
    assert_eq!(created.upstream_url, "registry-1.docker.io");
    assert!(created.created_at > 0);
    assert!(matches!(
        s.create_cache_rule(ACCOUNT, &rule).await,
        Err(MetaError::CacheRuleExists)
    ));
    s.create_cache_rule(
        ACCOUNT,
        &CacheRule {
            prefix: "ROOT".into(),
            ..rule.clone()
        },
    )
    .await
    .unwrap();
    let prefixes: Vec<String> = s
        .cache_rules(ACCOUNT)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.prefix)
        .collect();
    assert_eq!(prefixes, ["ROOT", "docker-hub"]);
    assert!(s.cache_rules("111111111111").await.unwrap().is_empty());
    let updated = s
        .update_cache_rule(
            ACCOUNT,
            "docker-hub",
            None,
            Some("arn:aws:iam::000000000000:role/r"),
        )
        .await
        .unwrap();
    assert_eq!(updated.credential_arn, None);
    assert_eq!(updated.upstream_url, "registry-1.docker.io");
    assert!(matches!(
        s.update_cache_rule(ACCOUNT, "quay", None, None).await,
        Err(MetaError::CacheRuleNotFound)
    ));
    let deleted = s.delete_cache_rule(ACCOUNT, "docker-hub").await.unwrap();
    assert_eq!(
        deleted.custom_role_arn.as_deref(),
        Some("arn:aws:iam::000000000000:role/r")
    );
    assert!(matches!(
        s.delete_cache_rule(ACCOUNT, "docker-hub").await,
        Err(MetaError::CacheRuleNotFound)
    ));
}

conformance!(
    secrets_keep_two_staged_versions_and_names_until_purged,
    cache_rules_by_prefix,
);
