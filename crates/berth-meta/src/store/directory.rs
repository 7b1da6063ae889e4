//! IAM groups and their members, roles (a principal of kind `role` with its trust policy) and
//! customer managed policies.

use crate::db::{query, query_as, query_scalar};
use crate::values::PrincipalKind;

use super::identity::{DatedPrincipalRow, PrincipalRow, PRINCIPAL_COLUMNS};
use super::MetaStore;
use crate::{now_millis, Principal, Result};

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Group {
    pub id: i64,
    pub account_id: String,
    pub name: String,
    pub path: String,
    pub unique_id: String,
    pub created_at: i64,
}

/// An IAM role: its principal, trust policy and session limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub principal: Principal,
    pub trust_policy: String,
    pub max_session_duration: i64,
    pub description: Option<String>,
    pub created_at: i64,
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ManagedPolicy {
    pub account_id: String,
    pub name: String,
    pub path: String,
    pub policy_id: String,
    pub arn: String,
    pub description: Option<String>,
    pub document: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// How many users, roles and groups it is attached to.
    pub attachments: i64,
}

/// A role to create.
#[derive(Debug, Clone, Copy)]
pub struct NewRole<'a> {
    pub account: &'a str,
    pub name: &'a str,
    pub path: &'a str,
    pub unique_id: &'a str,
    pub trust_policy: &'a str,
    pub max_session_duration: i64,
    pub description: Option<&'a str>,
}

/// A customer managed policy to create.
#[derive(Debug, Clone, Copy)]
pub struct NewManagedPolicy<'a> {
    pub account: &'a str,
    pub name: &'a str,
    pub path: &'a str,
    pub policy_id: &'a str,
    pub arn: &'a str,
    pub description: Option<&'a str>,
    pub document: &'a str,
}

const GROUP_COLUMNS: &str = "id, account_id, name, path, unique_id, created_at";

const ROLE_SELECT: &str = "SELECT p.id, p.account_id, p.kind, p.name, p.unique_id, p.path,
        r.trust_policy, r.max_session_duration, r.description, p.created_at
     FROM principals p JOIN iam_roles r ON r.principal_id = p.id";

#[derive(sqlx::FromRow)]
struct RoleRow {
    #[sqlx(flatten)]
    principal: PrincipalRow,
    trust_policy: String,
    max_session_duration: i64,
    description: Option<String>,
    created_at: i64,
}

impl TryFrom<RoleRow> for Role {
    type Error = crate::MetaError;

    fn try_from(r: RoleRow) -> Result<Role> {
        Ok(Role {
            principal: r.principal.try_into()?,
            trust_policy: r.trust_policy,
            max_session_duration: r.max_session_duration,
            description: r.description,
            created_at: r.created_at,
        })
    }
}

const POLICY_SELECT: &str =
    "SELECT m.account_id, m.name, m.path, m.policy_id, m.arn, m.description,
        m.document, m.created_at, m.updated_at,
        (SELECT count(*) FROM iam_attachments a WHERE a.policy_arn = m.arn) AS attachments
     FROM iam_managed_policies m";

impl MetaStore {
    /// A principal of one kind with its creation time.
    pub async fn principal_entry(
        &self,
        account: &str,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Option<(Principal, i64)>> {
        query_as::<DatedPrincipalRow>(&format!(
            "SELECT {PRINCIPAL_COLUMNS}, created_at FROM principals
             WHERE account_id = $1 AND kind = $2 AND name = $3"
        ))
        .bind(account)
        .bind(kind.as_str())
        .bind(name)
        .fetch_optional(self.db.read())
        .await?
        .map(DatedPrincipalRow::into_entry)
        .transpose()
    }

    // ---- groups ----

    pub async fn create_group(
        &self,
        account: &str,
        name: &str,
        path: &str,
        unique_id: &str,
    ) -> Result<Group> {
        Ok(query_as::<Group>(&format!(
            "INSERT INTO iam_groups (account_id, name, path, unique_id, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING {GROUP_COLUMNS}"
        ))
        .bind(account)
        .bind(name)
        .bind(path)
        .bind(unique_id)
        .bind(now_millis())
        .fetch_one(self.db.write())
        .await?)
    }

    pub async fn group(&self, account: &str, name: &str) -> Result<Option<Group>> {
        Ok(query_as(&format!(
            "SELECT {GROUP_COLUMNS} FROM iam_groups WHERE account_id = $1 AND name = $2"
        ))
        .bind(account)
        .bind(name)
        .fetch_optional(self.db.read())
        .await?)
    }

    /// An account's groups, by name.
    pub async fn groups(&self, account: &str) -> Result<Vec<Group>> {
        Ok(query_as(&format!(
            "SELECT {GROUP_COLUMNS} FROM iam_groups WHERE account_id = $1 ORDER BY name"
        ))
        .bind(account)
        .fetch_all(self.db.read())
        .await?)
    }

    /// The groups a principal belongs to, by name.
    pub async fn groups_of(&self, principal_id: i64) -> Result<Vec<Group>> {
        Ok(query_as(&format!(
            "SELECT {GROUP_COLUMNS} FROM iam_groups
             WHERE id IN (SELECT group_id FROM iam_group_members WHERE principal_id = $1)
             ORDER BY name"
        ))
        .bind(principal_id)
        .fetch_all(self.db.read())
        .await?)
    }

    /// Delete a group with no members and no policies left; `false` when it has some.
    pub async fn delete_group(&self, id: i64) -> Result<bool> {
        let done = query(
            "DELETE FROM iam_groups WHERE id = $1
             AND NOT EXISTS (SELECT 1 FROM iam_group_members WHERE group_id = $1)
             AND NOT EXISTS (SELECT 1 FROM iam_inline_policies WHERE owner_kind = 'group' AND owner_id = $1)
             AND NOT EXISTS (SELECT 1 FROM iam_attachments WHERE owner_kind = 'group' AND owner_id = $1)",
        )
        .bind(id)
        .execute(self.db.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Add a member (idempotent, as AddUserToGroup).
    pub async fn add_group_member(&self, group_id: i64, principal_id: i64) -> Result<()> {
        query(
            "INSERT INTO iam_group_members (group_id, principal_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(group_id)
        .bind(principal_id)
        .execute(self.db.write())
        .await?;
        Ok(())
    }

    pub async fn remove_group_member(&self, group_id: i64, principal_id: i64) -> Result<bool> {
        let done = query("DELETE FROM iam_group_members WHERE group_id = $1 AND principal_id = $2")
            .bind(group_id)
            .bind(principal_id)
            .execute(self.db.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A group's members with their creation times, by name.
    pub async fn group_members(&self, group_id: i64) -> Result<Vec<(Principal, i64)>> {
        query_as::<DatedPrincipalRow>(&format!(
            "SELECT {PRINCIPAL_COLUMNS}, created_at FROM principals
             WHERE id IN (SELECT principal_id FROM iam_group_members WHERE group_id = $1)
             ORDER BY name"
        ))
        .bind(group_id)
        .fetch_all(self.db.read())
        .await?
        .into_iter()
        .map(DatedPrincipalRow::into_entry)
        .collect()
    }

    // ---- roles ----

    /// Create a role principal and its trust policy in one transaction.
    pub async fn create_role(&self, r: &NewRole<'_>) -> Result<Role> {
        let NewRole {
            account,
            name,
            path,
            unique_id,
            trust_policy,
            max_session_duration,
            description,
        } = *r;
        let now = now_millis();
        let mut tx = self.db.begin().await?;
        let id: i64 = query_scalar(
            "INSERT INTO principals (account_id, kind, name, path, unique_id, created_at)
             VALUES ($1, 'role', $2, $3, $4, $5) RETURNING id",
        )
        .bind(account)
        .bind(name)
        .bind(path)
        .bind(unique_id)
        .bind(now)
        .fetch_one(tx.conn())
        .await?;
        query(
            "INSERT INTO iam_roles (principal_id, trust_policy, max_session_duration, description)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(trust_policy)
        .bind(max_session_duration)
        .bind(description)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(Role {
            principal: Principal {
                id,
                account_id: account.to_string(),
                kind: PrincipalKind::Role,
                name: name.to_string(),
                unique_id: unique_id.to_string(),
                path: path.to_string(),
            },
            trust_policy: trust_policy.to_string(),
            max_session_duration,
            description: description.map(str::to_string),
            created_at: now,
        })
    }

    pub async fn role(&self, account: &str, name: &str) -> Result<Option<Role>> {
        query_as::<RoleRow>(&format!(
            "{ROLE_SELECT} WHERE p.account_id = $1 AND p.kind = 'role' AND p.name = $2"
        ))
        .bind(account)
        .bind(name)
        .fetch_optional(self.db.read())
        .await?
        .map(Role::try_from)
        .transpose()
    }

    pub async fn roles(&self, account: &str) -> Result<Vec<Role>> {
        query_as::<RoleRow>(&format!(
            "{ROLE_SELECT} WHERE p.account_id = $1 AND p.kind = 'role' ORDER BY p.name"
        ))
        .bind(account)
        .fetch_all(self.db.read())
        .await?
        .into_iter()
        .map(Role::try_from)
        .collect()
    }

    pub async fn update_trust_policy(&self, principal_id: i64, document: &str) -> Result<bool> {
        let done = query("UPDATE iam_roles SET trust_policy = $1 WHERE principal_id = $2")
            .bind(document)
            .bind(principal_id)
            .execute(self.db.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    // ---- customer managed policies ----

    pub async fn create_managed_policy(&self, p: &NewManagedPolicy<'_>) -> Result<ManagedPolicy> {
        let NewManagedPolicy {
            account,
            name,
            path,
            policy_id,
            arn,
            description,
            document,
        } = *p;
        let now = now_millis();
        query(
            "INSERT INTO iam_managed_policies
             (account_id, name, path, policy_id, arn, description, document, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(account)
        .bind(name)
        .bind(path)
        .bind(policy_id)
        .bind(arn)
        .bind(description)
        .bind(document)
        .bind(now)
        .bind(now)
        .execute(self.db.write())
        .await?;
        Ok(ManagedPolicy {
            account_id: account.to_string(),
            name: name.to_string(),
            path: path.to_string(),
            policy_id: policy_id.to_string(),
            arn: arn.to_string(),
            description: description.map(str::to_string),
            document: document.to_string(),
            created_at: now,
            updated_at: now,
            attachments: 0,
        })
    }

    pub async fn managed_policy(&self, arn: &str) -> Result<Option<ManagedPolicy>> {
        Ok(query_as(&format!("{POLICY_SELECT} WHERE m.arn = $1"))
            .bind(arn)
            .fetch_optional(self.db.read())
            .await?)
    }

    pub async fn managed_policies(&self, account: &str) -> Result<Vec<ManagedPolicy>> {
        Ok(query_as(&format!(
            "{POLICY_SELECT} WHERE m.account_id = $1 ORDER BY m.name"
        ))
        .bind(account)
        .fetch_all(self.db.read())
        .await?)
    }

    /// Delete a customer managed policy attached to nothing; `false` when it is attached.
    pub async fn delete_managed_policy(&self, arn: &str) -> Result<bool> {
        let done = query(
            "DELETE FROM iam_managed_policies WHERE arn = $1
             AND NOT EXISTS (SELECT 1 FROM iam_attachments WHERE policy_arn = $1)",
        )
        .bind(arn)
        .execute(self.db.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many users, roles and groups have `arn` attached.
    pub async fn attachment_count(&self, arn: &str) -> Result<i64> {
        Ok(
            query_scalar("SELECT count(*) FROM iam_attachments WHERE policy_arn = $1")
                .bind(arn)
                .fetch_one(self.db.read())
                .await?,
        )
    }
}
