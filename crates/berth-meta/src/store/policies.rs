//! Policy documents: repository and registry policies, and the identity policies (inline and
//! attached) of principals and groups. Documents are stored as given; `berth-iam` validates
//! them before they get here and parses them when it reads them.

use crate::db::{query, query_as, query_scalar};

use super::MetaStore;
use crate::{now_millis, Result};

/// What an identity policy is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyOwner {
    /// A user or role.
    Principal(i64),
    Group(i64),
}

impl PolicyOwner {
    fn parts(self) -> (&'static str, i64) {
        match self {
            PolicyOwner::Principal(id) => ("principal", id),
            PolicyOwner::Group(id) => ("group", id),
        }
    }
}

/// Every identity policy that applies to a principal, its groups' included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityDocuments {
    /// Inline policy documents.
    pub inline: Vec<String>,
    /// Attached managed policies: the ARN, and the document of a customer managed one (`None`
    /// for AWS managed policies, which are built in, or a customer policy deleted meanwhile).
    pub attached: Vec<(String, Option<String>)>,
}

impl MetaStore {
    // ---- repository policies ----

    /// A repository's policy: `None` when the repository does not exist, `Some(None)` when it
    /// has no policy.
    pub async fn repository_policy(
        &self,
        account: &str,
        name: &str,
    ) -> Result<Option<Option<String>>> {
        Ok(
            query_scalar("SELECT policy FROM repositories WHERE account_id = $1 AND name = $2")
                .bind(account)
                .bind(name)
                .fetch_optional(self.db.read())
                .await?,
        )
    }

    /// The policies of some of an account's repositories, by name, in one query per 500 (for a
    /// listing's page); names that are not repositories are left out.
    pub async fn repository_policies(
        &self,
        account: &str,
        names: &[&str],
    ) -> Result<Vec<(String, Option<String>)>> {
        let mut out = Vec::with_capacity(names.len());
        for batch in names.chunks(super::BATCH) {
            let sql = format!(
                "SELECT name, policy FROM repositories WHERE account_id = $1 AND name IN ({})",
                super::placeholders(2, batch.len())
            );
            let mut q = query_as::<(String, Option<String>)>(&sql).bind(account);
            for n in batch {
                q = q.bind(*n);
            }
            out.extend(q.fetch_all(self.db.read()).await?);
        }
        Ok(out)
    }

    /// Set (or with `None` remove) a repository's policy; `false` when the repository does not
    /// exist.
    pub async fn set_repository_policy(
        &self,
        account: &str,
        name: &str,
        document: Option<&str>,
    ) -> Result<bool> {
        let done = query("UPDATE repositories SET policy = $1 WHERE account_id = $2 AND name = $3")
            .bind(document)
            .bind(account)
            .bind(name)
            .execute(self.db.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A repository's resource tags, by account and name (for `aws:ResourceTag/…` conditions).
    pub async fn repository_tags_of(
        &self,
        account: &str,
        name: &str,
    ) -> Result<Vec<(String, String)>> {
        Ok(query_as(
            "SELECT t.key, t.value FROM repository_tags t
             JOIN repositories r ON r.id = t.repository_id
             WHERE r.account_id = $1 AND r.name = $2 ORDER BY t.key",
        )
        .bind(account)
        .bind(name)
        .fetch_all(self.db.read())
        .await?)
    }

    // ---- registry policies ----

    pub async fn registry_policy(&self, account: &str) -> Result<Option<String>> {
        Ok(
            query_scalar("SELECT document FROM registry_policies WHERE account_id = $1")
                .bind(account)
                .fetch_optional(self.db.read())
                .await?,
        )
    }

    pub async fn put_registry_policy(&self, account: &str, document: &str) -> Result<()> {
        query(
            "INSERT INTO registry_policies (account_id, document, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (account_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
        )
        .bind(account)
        .bind(document)
        .bind(now_millis())
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    /// Remove an account's registry policy; the document it had, if any.
    pub async fn delete_registry_policy(&self, account: &str) -> Result<Option<String>> {
        Ok(
            query_scalar("DELETE FROM registry_policies WHERE account_id = $1 RETURNING document")
                .bind(account)
                .fetch_optional(self.db.write())
                .await?,
        )
    }

    // ---- identity policies ----

    /// Every identity policy of a principal: its own and its groups', inline and attached.
    pub async fn identity_documents(&self, principal_id: i64) -> Result<IdentityDocuments> {
        let inline: Vec<String> = query_scalar(
            "SELECT document FROM iam_inline_policies
             WHERE (owner_kind = 'principal' AND owner_id = $1)
                OR (owner_kind = 'group' AND owner_id IN
                    (SELECT group_id FROM iam_group_members WHERE principal_id = $1))",
        )
        .bind(principal_id)
        .fetch_all(self.db.read())
        .await?;
        let attached: Vec<(String, Option<String>)> = query_as(
            "SELECT DISTINCT a.policy_arn, m.document FROM iam_attachments a
             LEFT JOIN iam_managed_policies m ON m.arn = a.policy_arn
             WHERE (a.owner_kind = 'principal' AND a.owner_id = $1)
                OR (a.owner_kind = 'group' AND a.owner_id IN
                    (SELECT group_id FROM iam_group_members WHERE principal_id = $1))",
        )
        .bind(principal_id)
        .fetch_all(self.db.read())
        .await?;
        Ok(IdentityDocuments { inline, attached })
    }

    /// Create or replace an inline policy.
    pub async fn put_inline_policy(
        &self,
        owner: PolicyOwner,
        name: &str,
        document: &str,
    ) -> Result<()> {
        let (kind, id) = owner.parts();
        query(
            "INSERT INTO iam_inline_policies (owner_kind, owner_id, name, document) VALUES ($1, $2, $3, $4)
             ON CONFLICT (owner_kind, owner_id, name) DO UPDATE SET document = excluded.document",
        )
        .bind(kind)
        .bind(id)
        .bind(name)
        .bind(document)
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    pub async fn inline_policy(&self, owner: PolicyOwner, name: &str) -> Result<Option<String>> {
        let (kind, id) = owner.parts();
        Ok(query_scalar(
            "SELECT document FROM iam_inline_policies WHERE owner_kind = $1 AND owner_id = $2 AND name = $3",
        )
        .bind(kind)
        .bind(id)
        .bind(name)
        .fetch_optional(self.db.read())
        .await?)
    }

    /// Names of an owner's inline policies, in order.
    pub async fn inline_policy_names(&self, owner: PolicyOwner) -> Result<Vec<String>> {
        let (kind, id) = owner.parts();
        Ok(query_scalar(
            "SELECT name FROM iam_inline_policies WHERE owner_kind = $1 AND owner_id = $2 ORDER BY name",
        )
        .bind(kind)
        .bind(id)
        .fetch_all(self.db.read())
        .await?)
    }

    pub async fn delete_inline_policy(&self, owner: PolicyOwner, name: &str) -> Result<bool> {
        let (kind, id) = owner.parts();
        let done = query(
            "DELETE FROM iam_inline_policies WHERE owner_kind = $1 AND owner_id = $2 AND name = $3",
        )
        .bind(kind)
        .bind(id)
        .bind(name)
        .execute(self.db.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Attach a managed policy (idempotent, as IAM's AttachUserPolicy is).
    pub async fn attach_policy(&self, owner: PolicyOwner, arn: &str) -> Result<()> {
        let (kind, id) = owner.parts();
        query(
            "INSERT INTO iam_attachments (owner_kind, owner_id, policy_arn) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(kind)
        .bind(id)
        .bind(arn)
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    pub async fn detach_policy(&self, owner: PolicyOwner, arn: &str) -> Result<bool> {
        let (kind, id) = owner.parts();
        let done = query(
            "DELETE FROM iam_attachments WHERE owner_kind = $1 AND owner_id = $2 AND policy_arn = $3",
        )
        .bind(kind)
        .bind(id)
        .bind(arn)
        .execute(self.db.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// ARNs of the managed policies attached to an owner, in order.
    pub async fn attached_policies(&self, owner: PolicyOwner) -> Result<Vec<String>> {
        let (kind, id) = owner.parts();
        Ok(query_scalar(
            "SELECT policy_arn FROM iam_attachments WHERE owner_kind = $1 AND owner_id = $2 ORDER BY policy_arn",
        )
        .bind(kind)
        .bind(id)
        .fetch_all(self.db.read())
        .await?)
    }
}
