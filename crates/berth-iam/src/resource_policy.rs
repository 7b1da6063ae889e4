//! Repository and registry policies: validated as ECR validates them, stored, and the policy
//! caches cleared on every change.

use berth_meta::MetaError;
use berth_meta::PrincipalKind;

use crate::authz::V1_ACTIONS;
use crate::policy::{Negatable, Policy, PolicyKind};
use crate::Iam;

/// Largest repository or registry policy, as ECR's `policyText` (characters).
pub const MAX_POLICY_TEXT: usize = 10_240;

#[derive(Debug, thiserror::Error)]
pub enum ResourcePolicyError {
    #[error("the repository does not exist")]
    RepositoryNotFound,
    #[error("the repository or registry has no policy")]
    PolicyNotFound,
    /// ECR's constraint text for `PolicyText` ("Invalid repository policy provided", …); the
    /// parser's own reason is logged.
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Meta(#[from] MetaError),
}

pub const INVALID_REPOSITORY_POLICY: &str = "Invalid repository policy provided";
pub const INVALID_REGISTRY_POLICY: &str = "Invalid registry policy provided";
pub const PRINCIPAL_NOT_FOUND: &str = "Principal not found";

impl Iam {
    /// Parse `text` as a repository policy, as ECR validates one: a resource policy whose
    /// statements name no `Resource` (the repository is the resource), and whose IAM user and
    /// role principals of this installation's accounts exist.
    pub async fn validate_repository_policy(
        &self,
        text: &str,
    ) -> Result<Policy, ResourcePolicyError> {
        let invalid = |reason: &str| {
            tracing::info!(%reason, "repository policy refused");
            ResourcePolicyError::Invalid(INVALID_REPOSITORY_POLICY)
        };
        let policy = Policy::parse(text, PolicyKind::Resource).map_err(|e| invalid(&e.0))?;
        if policy.statements.iter().any(|s| s.resource.is_some()) {
            return Err(invalid(
                "a repository policy's statements may not name a Resource",
            ));
        }
        self.check_principals_exist(&policy).await?;
        Ok(policy)
    }

    /// Every IAM user or role ARN a policy names must exist when its account is one of ours
    /// (ECR: "Principal not found"); other accounts' principals cannot be checked.
    async fn check_principals_exist(&self, policy: &Policy) -> Result<(), ResourcePolicyError> {
        for s in &policy.statements {
            let Some(Negatable::Is(p) | Negatable::Not(p)) = &s.principal else {
                continue;
            };
            for arn in &p.aws {
                let parts: Vec<&str> = arn.splitn(6, ':').collect();
                let [_, _, "iam", _, account, resource] = parts.as_slice() else {
                    continue;
                };
                let Some((kind, rest)) = resource.split_once('/') else {
                    continue; // root
                };
                if self
                    .meta
                    .principal(account, PrincipalKind::Root, "root")
                    .await?
                    .is_none()
                {
                    continue; // not an account of this installation
                }
                let name = rest.rsplit('/').next().unwrap_or(rest);
                // `user/…` or `role/…`; any other resource names no principal of ours
                let Ok(kind) = kind.parse::<PrincipalKind>() else {
                    tracing::info!(%arn, "policy names a principal that does not exist");
                    return Err(ResourcePolicyError::Invalid(PRINCIPAL_NOT_FOUND));
                };
                if self.meta.principal(account, kind, name).await?.is_none() {
                    tracing::info!(%arn, "policy names a principal that does not exist");
                    return Err(ResourcePolicyError::Invalid(PRINCIPAL_NOT_FOUND));
                }
            }
        }
        Ok(())
    }

    /// Store a repository policy validated by [`Iam::validate_repository_policy`].
    pub async fn set_repository_policy(
        &self,
        account: &str,
        repository: &str,
        text: &str,
    ) -> Result<(), ResourcePolicyError> {
        let stored = self
            .meta
            .set_repository_policy(account, repository, Some(text))
            .await?;
        self.policies_changed();
        if !stored {
            return Err(ResourcePolicyError::RepositoryNotFound);
        }
        Ok(())
    }

    /// A repository's policy text.
    pub async fn repository_policy_text(
        &self,
        account: &str,
        repository: &str,
    ) -> Result<String, ResourcePolicyError> {
        match self.meta.repository_policy(account, repository).await? {
            None => Err(ResourcePolicyError::RepositoryNotFound),
            Some(None) => Err(ResourcePolicyError::PolicyNotFound),
            Some(Some(t)) => Ok(t),
        }
    }

    /// Remove a repository's policy; the text it had.
    pub async fn delete_repository_policy(
        &self,
        account: &str,
        repository: &str,
    ) -> Result<String, ResourcePolicyError> {
        let text = self.repository_policy_text(account, repository).await?;
        if !self
            .meta
            .set_repository_policy(account, repository, None)
            .await?
        {
            return Err(ResourcePolicyError::RepositoryNotFound);
        }
        self.policies_changed();
        Ok(text)
    }

    /// Parse `text` as the registry policy of `account`: a resource policy whose actions, under
    /// the `V1` scope of `REGISTRY_POLICY_SCOPE`, are only those V1 allows.
    pub async fn validate_registry_policy(
        &self,
        account: &str,
        text: &str,
    ) -> Result<Policy, ResourcePolicyError> {
        let invalid = |reason: &str| {
            tracing::info!(%reason, "registry policy refused");
            ResourcePolicyError::Invalid(INVALID_REGISTRY_POLICY)
        };
        let policy = Policy::parse(text, PolicyKind::Resource).map_err(|e| invalid(&e.0))?;
        let v1 = self
            .meta
            .account_setting(account, "REGISTRY_POLICY_SCOPE")
            .await?
            .as_deref()
            == Some("V1");
        if v1 {
            for s in &policy.statements {
                let ok = match &s.action {
                    // each entry must name a V1 action itself (no wildcard)
                    Negatable::Is(list) => list.iter().all(|a| {
                        V1_ACTIONS
                            .iter()
                            .any(|v| a.source().eq_ignore_ascii_case(v))
                    }),
                    Negatable::Not(_) => false,
                };
                if !ok {
                    return Err(invalid(
                        "under the V1 scope a registry policy may grant only ecr:ReplicateImage, ecr:BatchImportUpstreamImage and ecr:CreateRepository",
                    ));
                }
            }
        }
        self.check_principals_exist(&policy)
            .await
            .map_err(|e| match e {
                ResourcePolicyError::Invalid(_) => invalid("a principal does not exist"),
                other => other,
            })?;
        Ok(policy)
    }

    pub async fn put_registry_policy(
        &self,
        account: &str,
        text: &str,
    ) -> Result<(), ResourcePolicyError> {
        self.meta.put_registry_policy(account, text).await?;
        self.policies_changed();
        Ok(())
    }

    pub async fn registry_policy_text(&self, account: &str) -> Result<String, ResourcePolicyError> {
        self.meta
            .registry_policy(account)
            .await?
            .ok_or(ResourcePolicyError::PolicyNotFound)
    }

    pub async fn delete_registry_policy(
        &self,
        account: &str,
    ) -> Result<String, ResourcePolicyError> {
        let text = self
            .meta
            .delete_registry_policy(account)
            .await?
            .ok_or(ResourcePolicyError::PolicyNotFound)?;
        self.policies_changed();
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn repository_and_registry_policies_are_validated_as_ecr_does() {
        let dir = tempfile::tempdir().unwrap();
        let meta = berth_meta::MetaStore::open_sqlite(&dir.path().join("m.db"))
            .await
            .unwrap();
        let iam = Iam::new(meta, crate::MasterKey::generate());
        iam.create_account(Some("111122223333")).await.unwrap();
        iam.create_user("111122223333", "ci").await.unwrap();
        let stmt = |extra: &str| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"ecr:BatchGetImage"{extra}}}]}}"#
            )
        };
        let ok = [
            stmt(r#","Principal":{"AWS":"*"}"#),
            stmt(r#","Principal":{"AWS":"arn:aws:iam::111122223333:user/ci"}"#),
            // another installation's (or AWS's) principals cannot be checked, so pass
            stmt(r#","Principal":{"AWS":"arn:aws:iam::999988887777:user/anyone"}"#),
        ];
        for p in ok {
            assert!(iam.validate_repository_policy(&p).await.is_ok(), "{p}");
        }
        for (p, want) in [
            (stmt(r#","Principal":"*""#), INVALID_REPOSITORY_POLICY),
            (
                stmt(r#","Principal":{"AWS":"*"},"Resource":"*""#),
                INVALID_REPOSITORY_POLICY,
            ),
            (stmt(""), INVALID_REPOSITORY_POLICY),
            ("{".to_string(), INVALID_REPOSITORY_POLICY),
            (
                stmt(r#","Principal":{"AWS":"arn:aws:iam::111122223333:user/ghost"}"#),
                PRINCIPAL_NOT_FOUND,
            ),
        ] {
            match iam.validate_repository_policy(&p).await {
                Err(ResourcePolicyError::Invalid(m)) => assert_eq!(m, want, "{p}"),
                other => panic!("{p}: {other:?}"),
            }
        }
        // the registry policy: any action under V2, only V1's three under V1
        let registry = stmt(r#","Principal":{"AWS":"111122223333"},"Resource":"*""#);
        assert!(iam
            .validate_registry_policy("111122223333", &registry)
            .await
            .is_ok());
        iam.meta
            .put_account_setting("111122223333", "REGISTRY_POLICY_SCOPE", "V1")
            .await
            .unwrap();
        assert!(matches!(
            iam.validate_registry_policy("111122223333", &registry)
                .await,
            Err(ResourcePolicyError::Invalid(INVALID_REGISTRY_POLICY))
        ));
        let v1 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":["ecr:ReplicateImage","ecr:CreateRepository"],"Resource":"*"}]}"#;
        assert!(iam
            .validate_registry_policy("111122223333", v1)
            .await
            .is_ok());
        let wildcard = v1.replace("ecr:ReplicateImage", "ecr:Replicate*");
        assert!(iam
            .validate_registry_policy("111122223333", &wildcard)
            .await
            .is_err());
        // get and delete of what is not there
        assert!(matches!(
            iam.registry_policy_text("111122223333").await,
            Err(ResourcePolicyError::PolicyNotFound)
        ));
        assert!(matches!(
            iam.repository_policy_text("111122223333", "none").await,
            Err(ResourcePolicyError::RepositoryNotFound)
        ));
    }
}
