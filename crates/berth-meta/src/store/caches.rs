//! Pull-through cache rules, by account and repository prefix.

use crate::db::query_as;

use super::MetaStore;
use crate::{MetaError, Result};

/// A pull-through cache rule: repositories under `prefix` are caches of the upstream's
/// repositories under `upstream_prefix`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CacheRule {
    /// ECR's `ecrRepositoryPrefix` as stored: `ROOT`, or a prefix without its closing `/`.
    pub prefix: String,
    pub upstream_url: String,
    pub upstream_registry: String,
    pub upstream_prefix: String,
    pub credential_arn: Option<String>,
    pub custom_role_arn: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "prefix, upstream_url, upstream_registry, upstream_prefix, credential_arn,
       custom_role_arn, created_at, updated_at";

impl MetaStore {
    /// Store a new rule; [`MetaError::CacheRuleExists`] when the prefix has one.
    pub async fn create_cache_rule(&self, account: &str, rule: &CacheRule) -> Result<CacheRule> {
        query_as(&format!(
            "INSERT INTO pull_through_cache_rules (account_id, {COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
             ON CONFLICT (account_id, prefix) DO NOTHING RETURNING {COLUMNS}"
        ))
        .bind(account)
        .bind(&rule.prefix)
        .bind(&rule.upstream_url)
        .bind(&rule.upstream_registry)
        .bind(&rule.upstream_prefix)
        .bind(rule.credential_arn.as_deref())
        .bind(rule.custom_role_arn.as_deref())
        .bind(crate::now_millis())
        .fetch_optional(self.db.write())
        .await?
        .ok_or(MetaError::CacheRuleExists)
    }

    /// An account's rules, by prefix.
    pub async fn cache_rules(&self, account: &str) -> Result<Vec<CacheRule>> {
        Ok(query_as(&format!(
            "SELECT {COLUMNS} FROM pull_through_cache_rules WHERE account_id = $1 ORDER BY prefix"
        ))
        .bind(account)
        .fetch_all(self.db.read())
        .await?)
    }

    /// Replace a rule's credentials and role; [`MetaError::CacheRuleNotFound`] when there is
    /// no rule of the prefix.
    pub async fn update_cache_rule(
        &self,
        account: &str,
        prefix: &str,
        credential_arn: Option<&str>,
        custom_role_arn: Option<&str>,
    ) -> Result<CacheRule> {
        query_as(&format!(
            "UPDATE pull_through_cache_rules SET credential_arn = $1, custom_role_arn = $2,
               updated_at = $3
             WHERE account_id = $4 AND prefix = $5 RETURNING {COLUMNS}"
        ))
        .bind(credential_arn)
        .bind(custom_role_arn)
        .bind(crate::now_millis())
        .bind(account)
        .bind(prefix)
        .fetch_optional(self.db.write())
        .await?
        .ok_or(MetaError::CacheRuleNotFound)
    }

    /// Delete a rule, returning it; [`MetaError::CacheRuleNotFound`] when there is none.
    pub async fn delete_cache_rule(&self, account: &str, prefix: &str) -> Result<CacheRule> {
        query_as(&format!(
            "DELETE FROM pull_through_cache_rules WHERE account_id = $1 AND prefix = $2
             RETURNING {COLUMNS}"
        ))
        .bind(account)
        .bind(prefix)
        .fetch_optional(self.db.write())
        .await?
        .ok_or(MetaError::CacheRuleNotFound)
    }
}
