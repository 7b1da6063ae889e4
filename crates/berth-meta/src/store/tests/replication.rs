//! Replication's tables on both backends: replications as jobs (a later request runs the copy
//! again), backfills with their images, creation templates by prefix.

use super::*;
use crate::{
    BackfillItem, BackfillStatus, Destination, ReplicationOutcome, ReplicationStatus, Requester,
};

fn west() -> Destination {
    Destination {
        region: "us-west-2".into(),
        account: "111111111111".into(),
    }
}

fn complete() -> ReplicationOutcome {
    ReplicationOutcome {
        status: ReplicationStatus::Complete,
        failure_code: None,
        failure_reason: None,
        bytes_sent: 10,
    }
}

async fn replications_are_jobs_and_a_new_request_runs_again(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let repo = s.create_repository("000000000000", "app").await.unwrap();
    s.request_replications(repo.id, "sha256:1", &[west()], Requester::Push)
        .await
        .unwrap();
    let far = now_millis() + 60_000;
    let job = s.claim_replication("node-a", far).await.unwrap().unwrap();
    assert_eq!(
        (job.repository.as_str(), job.digest.as_str()),
        ("app", "sha256:1")
    );
    assert_eq!((job.dest_region.as_str(), job.attempts), ("us-west-2", 1));
    // held: nobody else gets it
    assert!(s.claim_replication("node-b", far).await.unwrap().is_none());
    assert!(s.renew_replication(&job, "node-a", far).await.unwrap());
    assert!(!s.renew_replication(&job, "node-b", far).await.unwrap());
    // asked for again while it runs: it ends PENDING, to run again
    s.request_replications(repo.id, "sha256:1", &[west()], Requester::Push)
        .await
        .unwrap();
    assert!(s
        .finish_replication(&job, "node-a", &complete())
        .await
        .unwrap());
    let status = s.image_replications(repo.id, "sha256:1").await.unwrap();
    assert_eq!(status[0].status, ReplicationStatus::Pending);
    let again = s.claim_replication("node-b", far).await.unwrap().unwrap();
    assert!(again.generation > job.generation);
    // a retry waits until its time, its failure visible meanwhile
    s.retry_replication(
        &again,
        "node-b",
        now_millis() + 60_000,
        "PEER_UNAVAILABLE",
        "refused",
    )
    .await
    .unwrap();
    assert!(s.claim_replication("node-a", far).await.unwrap().is_none());
    let status = s.image_replications(repo.id, "sha256:1").await.unwrap();
    assert_eq!(status[0].failure_code.as_deref(), Some("PEER_UNAVAILABLE"));
    // a lease run out is taken over
    s.request_replications(repo.id, "sha256:2", &[west()], Requester::Push)
        .await
        .unwrap();
    let expired = now_millis() - 1;
    let stale = s
        .claim_replication("node-a", expired)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stale.digest, "sha256:2");
    let taken = s.claim_replication("node-b", far).await.unwrap().unwrap();
    assert_eq!(taken.digest, "sha256:2");
    assert!(!s
        .finish_replication(&stale, "node-a", &complete())
        .await
        .unwrap());
    assert!(s
        .finish_replication(&taken, "node-b", &complete())
        .await
        .unwrap());
    let status = s.image_replications(repo.id, "sha256:2").await.unwrap();
    assert_eq!(status[0].status, ReplicationStatus::Complete);
    assert_eq!(status[0].bytes_sent, 10);
    // the first image's copy that ran before the new request counted its bytes
    let status = s.image_replications(repo.id, "sha256:1").await.unwrap();
    assert_eq!(status[0].bytes_sent, 10);
    // a deleted repository takes its replications with it
    s.delete_repository(repo.id, true).await.unwrap();
    assert!(s.claim_replication("node-a", far).await.unwrap().is_none());
}

async fn backfills_track_their_images_and_stop(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let repo = s.create_repository("000000000000", "app").await.unwrap();
    let items: Vec<BackfillItem> = (1..=3)
        .map(|i| BackfillItem {
            repository_id: repo.id,
            repository: "app".into(),
            digest: format!("sha256:{i}"),
        })
        .collect();
    s.start_backfill("b-1", "000000000000", &west(), &items)
        .await
        .unwrap();
    // one per region at a time
    assert!(matches!(
        s.start_backfill("b-2", "000000000000", &west(), &items)
            .await,
        Err(MetaError::BackfillInProgress)
    ));
    let far = now_millis() + 60_000;
    let first = s.claim_replication("node-a", far).await.unwrap().unwrap();
    s.finish_replication(&first, "node-a", &complete())
        .await
        .unwrap();
    let second = s.claim_replication("node-a", far).await.unwrap().unwrap();
    let failed = ReplicationOutcome {
        status: ReplicationStatus::Failed,
        failure_code: Some("REPOSITORY_POLICY_DENIED".into()),
        failure_reason: Some("denied".into()),
        bytes_sent: 0,
    };
    s.finish_replication(&second, "node-a", &failed)
        .await
        .unwrap();
    let b1 = s.backfill("000000000000", "b-1").await.unwrap().unwrap();
    assert_eq!(b1.status, BackfillStatus::InProgress);
    assert_eq!((b1.total, b1.completed, b1.failed), (3, 1, 1));
    assert_eq!(b1.failure_codes, ["REPOSITORY_POLICY_DENIED"]);
    // stopped: the image not yet copied is left out, and the backfill has ended
    let stopped = s
        .stop_backfill("000000000000", "b-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stopped.status, BackfillStatus::Stopped);
    assert!(stopped.ended_at.is_some());
    assert!(s.claim_replication("node-a", far).await.unwrap().is_none());
    assert!(matches!(
        s.stop_backfill("000000000000", "b-1").await,
        Err(MetaError::BackfillNotStoppable(BackfillStatus::Stopped))
    ));
    assert!(s
        .stop_backfill("000000000000", "nope")
        .await
        .unwrap()
        .is_none());
    let failed_only = s
        .backfill_images("b-1", Some(ReplicationStatus::Failed))
        .await
        .unwrap();
    assert_eq!(failed_only.len(), 1);
    assert_eq!(s.backfill_images("b-1", None).await.unwrap().len(), 3);
    // a backfill with nothing to copy is complete at once
    s.start_backfill("b-3", "000000000000", &west(), &[])
        .await
        .unwrap();
    let b3 = s.backfill("000000000000", "b-3").await.unwrap().unwrap();
    assert_eq!(b3.status, BackfillStatus::Complete);
    assert_eq!(s.backfills("000000000000").await.unwrap().len(), 2);
}

async fn creation_templates_by_prefix(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let created = s
        .create_creation_template("000000000000", "prod", "{\"a\":1}")
        .await
        .unwrap();
    assert_eq!(created.prefix, "prod");
    assert!(matches!(
        s.create_creation_template("000000000000", "prod", "{}")
            .await,
        Err(MetaError::TemplateExists)
    ));
    s.create_creation_template("000000000000", "ROOT", "{}")
        .await
        .unwrap();
    s.create_creation_template("111111111111", "prod", "{}")
        .await
        .unwrap();
    let updated = s
        .update_creation_template("000000000000", "prod", "{\"a\":2}")
        .await
        .unwrap();
    assert_eq!(updated.template, "{\"a\":2}");
    let mine: Vec<String> = s
        .creation_templates("000000000000")
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.prefix)
        .collect();
    assert_eq!(mine, ["ROOT", "prod"]);
    assert!(matches!(
        s.update_creation_template("000000000000", "dev", "{}")
            .await,
        Err(MetaError::TemplateNotFound)
    ));
    s.delete_creation_template("000000000000", "prod")
        .await
        .unwrap();
    assert!(matches!(
        s.delete_creation_template("000000000000", "prod").await,
        Err(MetaError::TemplateNotFound)
    ));
    // the replication configuration of an account
    assert!(s
        .replication_config("000000000000")
        .await
        .unwrap()
        .is_none());
    s.put_replication_config("000000000000", "{\"rules\":[]}")
        .await
        .unwrap();
    assert_eq!(
        s.replication_config("000000000000")
            .await
            .unwrap()
            .as_deref(),
        Some("{\"rules\":[]}")
    );
}

async fn every_outcome_is_recorded(b: Backend) {
    let Some((_d, s)) = store(b).await else {
        return;
    };
    let repo = s.create_repository("000000000000", "app").await.unwrap();
    let far = now_millis() + 60_000;
    let failed = ReplicationOutcome {
        status: ReplicationStatus::Failed,
        failure_code: Some("ACCESS_DENIED".into()),
        failure_reason: Some("policy".into()),
        bytes_sent: 0,
    };
    for (by, outcome) in [
        (Requester::Push, &failed),
        (Requester::Backfill("bf-1"), &complete()),
    ] {
        s.request_replications(repo.id, "sha256:1", &[west()], by)
            .await
            .unwrap();
        let job = s.claim_replication("node-a", far).await.unwrap().unwrap();
        assert!(s.finish_replication(&job, "node-a", outcome).await.unwrap());
    }
    // a finish by a node that lost the lease records nothing
    s.request_replications(repo.id, "sha256:1", &[west()], Requester::Push)
        .await
        .unwrap();
    let job = s.claim_replication("node-a", far).await.unwrap().unwrap();
    assert!(!s
        .finish_replication(&job, "node-b", &complete())
        .await
        .unwrap());
    let records = s.replication_records("000000000000", 0, 10).await.unwrap();
    let seen: Vec<(&str, Option<&str>, i64, Option<&str>)> = records
        .iter()
        .map(|r| {
            (
                r.status.as_str(),
                r.failure_code.as_deref(),
                r.bytes_sent,
                r.requested_by.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("FAILED", Some("ACCESS_DENIED"), 0, Some("push")),
            ("COMPLETE", None, 10, Some("bf-1")),
        ]
    );
    assert_eq!(
        (
            records[0].repository.as_str(),
            records[0].dest_region.as_str()
        ),
        ("app", "us-west-2")
    );
    let later = s
        .replication_records("000000000000", records[0].id, 10)
        .await
        .unwrap();
    assert_eq!(later.len(), 1);
    assert!(s
        .replication_records("111111111111", 0, 10)
        .await
        .unwrap()
        .is_empty());
}

conformance!(
    every_outcome_is_recorded,
    replications_are_jobs_and_a_new_request_runs_again,
    backfills_track_their_images_and_stop,
    creation_templates_by_prefix,
);
