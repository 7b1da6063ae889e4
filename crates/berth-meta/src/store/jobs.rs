//! Background jobs shared by the nodes of a cluster: a lease per job name, so that one node runs
//! it at a time.

use super::MetaStore;
use crate::db::query_scalar;
use crate::Result;

impl MetaStore {
    /// Claim background job `name` for `owner` until `lease_until` (epoch ms): true when no
    /// other node holds an unexpired claim (the owner may renew its own).
    pub async fn claim_job(&self, name: &str, owner: &str, lease_until: i64) -> Result<bool> {
        Ok(query_scalar::<String>(
            "INSERT INTO jobs (name, owner, lease_until) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
             WHERE jobs.lease_until < $4 OR jobs.owner = excluded.owner
             RETURNING name",
        )
        .bind(name)
        .bind(owner)
        .bind(lease_until)
        .bind(crate::now_millis())
        .fetch_optional(self.db.write())
        .await?
        .is_some())
    }
}
