//! Pulling through a cache repository: a cached image is served as any other (a tag is asked
//! about upstream again after its TTL, a digest never); an uncached one is imported first — its
//! manifest, an index's images, every blob, each verified against its digest before it is
//! stored — and is then an ordinary image (scanned on push, replicated, under lifecycle rules).

use std::sync::Arc;

use berth_client::upstream::{Login, Upstream};
use berth_client::{ClientError, ClientOptions};
use berth_meta::CacheRule;
use berth_oci::{manifest, Digest, Reference, RepositoryName};
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};

use crate::replication::PushOrigin;
use crate::templates::AppliedFor;
use crate::uploads::UploadBody;
use crate::{FetchedManifest, Registry, RegistryError, Result};

/// How deep an index's manifests are followed.
const MAX_DEPTH: usize = 4;
/// Blobs of an image fetched from the upstream at once.
const BLOBS_AT_ONCE: usize = 4;

/// An upstream's failure as the registry's, naming the upstream.
fn upstream_error(url: &str, e: ClientError) -> RegistryError {
    RegistryError::Upstream(format!("the upstream registry {url}: {e}"))
}

impl Registry {
    /// Manifest `reference` of repository `name` when a pull-through cache rule covers it:
    /// from the cache, or imported from the upstream first. `None` when no rule covers `name`.
    pub async fn pull_through_manifest(
        &self,
        account: &str,
        name: &RepositoryName,
        reference: &Reference,
        body: bool,
    ) -> Result<Option<FetchedManifest>> {
        let Some((rule, upstream_repo)) = self.cache_rule_of(account, name.as_str()).await? else {
            return Ok(None);
        };
        if let Some(m) = self.cached(account, name, reference, body).await? {
            return Ok(Some(m));
        }
        let key = format!("pull-through:{account}/{name}:{reference}");
        let _one_import = self.pull_through.importing.lock(&self.meta, &key).await?;
        // imported or checked by another pull meanwhile
        if let Some(m) = self.cached(account, name, reference, body).await? {
            return Ok(Some(m));
        }
        let upstream = self.upstream_client(account, &rule).await?;
        let stale = self.stored(account, name, reference, body).await?;
        if let (Some(m), Reference::Tag(tag)) = (stale, reference) {
            return self
                .recheck(
                    account,
                    name,
                    &rule,
                    &upstream,
                    &upstream_repo,
                    tag.as_str(),
                    m,
                    body,
                )
                .await
                .map(Some);
        }
        self.import(account, name, &rule, &upstream, &upstream_repo, reference)
            .await?;
        self.manifest(account, name, reference, body)
            .await
            .map(Some)
    }

    /// Whether pulling `reference` of `name` would import it from an upstream (it is under a
    /// rule and not cached), and if so whether the repository exists: what IAM asks
    /// (`ecr:BatchImportUpstreamImage`, and `ecr:CreateRepository` for a new repository).
    pub async fn pull_would_import(
        &self,
        account: &str,
        name: &RepositoryName,
        reference: &Reference,
    ) -> Result<Option<bool>> {
        if self.cache_rule_of(account, name.as_str()).await?.is_none() {
            return Ok(None);
        }
        match self.manifest(account, name, reference, false).await {
            Ok(_) => Ok(None),
            Err(RegistryError::NameUnknown { .. }) => Ok(Some(false)),
            Err(RegistryError::ManifestUnknown(_)) => Ok(Some(true)),
            Err(e) => Err(e),
        }
    }

    /// The stored manifest, if there is one.
    async fn stored(
        &self,
        account: &str,
        name: &RepositoryName,
        reference: &Reference,
        body: bool,
    ) -> Result<Option<FetchedManifest>> {
        match self.manifest(account, name, reference, body).await {
            Ok(m) => Ok(Some(m)),
            Err(RegistryError::NameUnknown { .. } | RegistryError::ManifestUnknown(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The cached manifest when it may be served without asking the upstream: any digest, a
    /// tag checked within its TTL.
    async fn cached(
        &self,
        account: &str,
        name: &RepositoryName,
        reference: &Reference,
        body: bool,
    ) -> Result<Option<FetchedManifest>> {
        let Some(m) = self.stored(account, name, reference, body).await? else {
            return Ok(None);
        };
        match reference {
            Reference::Digest(_) => Ok(Some(m)),
            Reference::Tag(tag) => {
                let repo = self.repository(account, name).await?;
                Ok(self.pull_through.fresh(repo.id, tag.as_str()).then_some(m))
            }
        }
    }

    /// A cached tag past its TTL: the upstream is asked what it names (HEAD, the digest only);
    /// a new image is imported; when the upstream cannot answer, the cached one is served.
    #[allow(clippy::too_many_arguments)]
    async fn recheck(
        &self,
        account: &str,
        name: &RepositoryName,
        rule: &CacheRule,
        upstream: &Upstream,
        upstream_repo: &str,
        tag: &str,
        cached: FetchedManifest,
        body: bool,
    ) -> Result<FetchedManifest> {
        let repo = self.repository(account, name).await?;
        match upstream.manifest_digest(upstream_repo, tag).await {
            Ok(Some(d)) if d == cached.digest.to_string() => {}
            Ok(Some(_)) => {
                let reference = Reference::Tag(
                    tag.parse()
                        .map_err(|_| RegistryError::Internal(format!("tag {tag}")))?,
                );
                if let Err(e) = self
                    .import(account, name, rule, upstream, upstream_repo, &reference)
                    .await
                {
                    tracing::warn!(account, repository = %name, tag, error = %e,
                        "the upstream moved the tag but its image could not be imported; serving the cached one");
                    return Ok(cached);
                }
                self.pull_through.mark_checked(repo.id, tag);
                return self.manifest(account, name, &reference, body).await;
            }
            Ok(None) => {
                tracing::warn!(account, repository = %name, tag, upstream = %rule.upstream_url,
                    "the upstream no longer has the tag; serving the cached image");
            }
            Err(e) => {
                tracing::warn!(account, repository = %name, tag, upstream = %rule.upstream_url,
                    error = %e, "the upstream could not be asked; serving the cached image");
                return Ok(cached);
            }
        }
        self.pull_through.mark_checked(repo.id, tag);
        Ok(cached)
    }

    /// A client of the rule's upstream with its login (one per upstream and login).
    async fn upstream_client(&self, account: &str, rule: &CacheRule) -> Result<Arc<Upstream>> {
        let key = (rule.upstream_url.clone(), rule.credential_arn.clone());
        if let Some(c) = self
            .pull_through
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(c.clone());
        }
        let login: Option<Login> = match (&rule.credential_arn, self.pull_through.logins.get()) {
            (Some(arn), Some(logins)) => {
                Some(logins.login(account, arn).await.map_err(|e| {
                    RegistryError::Upstream(format!("the rule's secret {arn}: {e}"))
                })?)
            }
            (Some(arn), None) => {
                return Err(RegistryError::Upstream(format!(
                    "the rule's secret {arn} cannot be read here"
                )))
            }
            (None, _) => None,
        };
        let client = Upstream::new(&rule.upstream_url, login, &ClientOptions::default())
            .map_err(|e| upstream_error(&rule.upstream_url, e))?;
        let client = Arc::new(client);
        self.pull_through
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, client.clone());
        Ok(client)
    }

    /// Import `reference` of the upstream repository into cache repository `name`.
    async fn import(
        &self,
        account: &str,
        name: &RepositoryName,
        rule: &CacheRule,
        upstream: &Upstream,
        upstream_repo: &str,
        reference: &Reference,
    ) -> Result<()> {
        let fetched = upstream
            .manifest(upstream_repo, &reference.to_string())
            .await
            .map_err(|e| upstream_error(&rule.upstream_url, e))?;
        let Some((media_type, body)) = fetched else {
            return Err(RegistryError::ManifestUnknown(format!(
                "{reference} (the upstream registry {} has no {upstream_repo}:{reference})",
                rule.upstream_url
            )));
        };
        let digest = Digest::sha256_of(&body);
        if let Reference::Digest(want) = reference {
            if *want != digest {
                return Err(RegistryError::Upstream(format!(
                    "the upstream registry {} sent a manifest whose digest is {digest}, not {want}",
                    rule.upstream_url
                )));
            }
        }
        self.repository_made_for(account, name, AppliedFor::PullThroughCache, true)
            .await?;
        let importer = Importer {
            registry: self,
            account,
            name,
            upstream,
            upstream_repo,
            url: &rule.upstream_url,
        };
        importer.content(&digest, &media_type, &body, 0).await?;
        if let Reference::Tag(t) = reference {
            self.put_manifest_from(
                PushOrigin::Client,
                account,
                name,
                &Reference::Tag(t.clone()),
                Some(&media_type),
                body.to_vec(),
            )
            .await?;
            let repo = self.repository(account, name).await?;
            self.pull_through.mark_checked(repo.id, t.as_str());
        }
        tracing::info!(account, repository = %name, %reference, %digest, upstream = %rule.upstream_url,
            "image imported through the pull-through cache");
        Ok(())
    }
}

/// What an import needs at every level of an index.
struct Importer<'a> {
    registry: &'a Registry,
    account: &'a str,
    name: &'a RepositoryName,
    upstream: &'a Upstream,
    upstream_repo: &'a str,
    url: &'a str,
}

impl Importer<'_> {
    /// Store a manifest by digest after what it needs: an index's manifests, then its blobs.
    async fn content(
        &self,
        digest: &Digest,
        media_type: &str,
        body: &Bytes,
        depth: usize,
    ) -> Result<()> {
        let parsed = manifest::parse(Some(media_type), body)?;
        for child in &parsed.manifests {
            if depth >= MAX_DEPTH {
                break;
            }
            let have = self
                .registry
                .meta
                .manifest_by_digest_name(self.account, self.name.as_str(), &child.digest, false)
                .await?
                .flatten()
                .is_some();
            if have {
                continue;
            }
            let (child_type, child_body) = self
                .upstream
                .manifest(self.upstream_repo, &child.digest.to_string())
                .await
                .map_err(|e| upstream_error(self.url, e))?
                .ok_or_else(|| {
                    RegistryError::Upstream(format!(
                        "the upstream registry {} has no {} listed by {digest}",
                        self.url, child.digest
                    ))
                })?;
            if Digest::sha256_of(&child_body) != child.digest {
                return Err(RegistryError::Upstream(format!(
                    "the upstream registry {} sent a manifest that is not {}",
                    self.url, child.digest
                )));
            }
            Box::pin(self.content(&child.digest, &child_type, &child_body, depth + 1)).await?;
        }
        // a few blobs at a time: an image's layers download side by side
        let digests: Vec<Digest> = parsed.blob_references().cloned().collect();
        let fetches: Vec<_> = digests.iter().map(|d| Box::pin(self.blob(d))).collect();
        futures_util::stream::iter(fetches)
            .buffer_unordered(BLOBS_AT_ONCE)
            .try_collect::<Vec<()>>()
            .await?;
        self.registry
            .put_manifest_from(
                PushOrigin::Client,
                self.account,
                self.name,
                &Reference::Digest(digest.clone()),
                Some(media_type),
                body.to_vec(),
            )
            .await?;
        Ok(())
    }

    /// Make blob `d` exist in the cache repository: linked when Berth has it already, else
    /// fetched as a stream and stored only if its bytes match its digest.
    async fn blob(&self, d: &Digest) -> Result<()> {
        let reg = self.registry;
        if matches!(
            reg.meta
                .blob_by_repository_name(self.account, self.name.as_str(), d)
                .await?,
            Some(Some(_))
        ) {
            return Ok(());
        }
        if reg
            .mount_blob(self.account, self.name, d, None)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let (declared, stream) = self
            .upstream
            .blob(self.upstream_repo, &d.to_string())
            .await
            .map_err(|e| upstream_error(self.url, e))?;
        reg.put_blob(self.account, self.name, d, UploadBody { stream, declared })
            .await
            .map_err(|e| match e {
                RegistryError::DigestInvalid(m) | RegistryError::SizeInvalid(m) => {
                    RegistryError::Upstream(format!(
                        "the upstream registry {} sent blob {d} wrong, nothing was stored: {m}",
                        self.url
                    ))
                }
                other => other,
            })?;
        Ok(())
    }
}
