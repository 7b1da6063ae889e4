//! Backfills (StartReplicationBackfill): images pushed before a rule existed, copied to one
//! destination on request, with progress; one backfill per destination region at a time.

use berth_meta::{Backfill, BackfillImage, Destination, MetaError, ReplicationStatus};

use crate::{Registry, RegistryError, Result};

impl Registry {
    /// Start a backfill of every image of `account` that its rules with `destination` cover.
    pub async fn start_backfill(
        &self,
        account: &str,
        destination: &Destination,
    ) -> Result<Backfill> {
        let config = self.replication_configuration(account).await?;
        let covered = |repository: &str| config.destinations_of(repository).contains(destination);
        let configured = config.rules.iter().any(|r| {
            r.destinations
                .iter()
                .any(|d| d.region == destination.region && d.registry_id == destination.account)
        });
        if !configured {
            return Err(RegistryError::BackfillDestination);
        }
        let images: Vec<_> = self
            .meta
            .backfill_candidates(account)
            .await?
            .into_iter()
            .filter(|i| covered(&i.repository))
            .collect();
        let id = uuid::Uuid::new_v4().to_string();
        match self
            .meta
            .start_backfill(&id, account, destination, &images)
            .await
        {
            Ok(()) => {}
            Err(MetaError::BackfillInProgress) => {
                return Err(RegistryError::BackfillInProgress {
                    region: destination.region.clone(),
                })
            }
            Err(e) => return Err(e.into()),
        }
        self.replicator.wake();
        tracing::info!(%id, account, region = %destination.region, images = images.len(), "replication backfill started");
        self.backfill(account, &id).await
    }

    /// Stop a backfill: images not yet copied are left out.
    pub async fn stop_backfill(&self, account: &str, id: &str) -> Result<Backfill> {
        match self.meta.stop_backfill(account, id).await {
            Ok(Some(b)) => Ok(b),
            Ok(None) => Err(RegistryError::BackfillNotFound { id: id.to_string() }),
            Err(MetaError::BackfillNotStoppable(status)) => Err(RegistryError::BackfillEnded {
                id: id.to_string(),
                status: status.as_str(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// One of an account's backfills.
    pub async fn backfill(&self, account: &str, id: &str) -> Result<Backfill> {
        self.meta
            .backfill(account, id)
            .await?
            .ok_or_else(|| RegistryError::BackfillNotFound { id: id.to_string() })
    }

    /// An account's backfills, the latest first.
    pub async fn backfills(&self, account: &str) -> Result<Vec<Backfill>> {
        Ok(self.meta.backfills(account).await?)
    }

    /// A backfill's images and how each copy ended (`only` COMPLETE or FAILED ones).
    pub async fn backfill_images(
        &self,
        account: &str,
        id: &str,
        only: Option<ReplicationStatus>,
    ) -> Result<Vec<BackfillImage>> {
        self.backfill(account, id).await?;
        Ok(self.meta.backfill_images(id, only).await?)
    }
}
