//! The OCI vocabulary Berth speaks: digests, repository names, tags and references, media types, and
//! manifest/index parsing and validation.
//!
//! This crate does no I/O and must not depend on any other Berth crate: storage, metadata and the
//! HTTP layers build on it.

pub mod digest;
pub mod manifest;
pub mod media_types;
pub mod name;

pub use digest::{Algorithm, Digest, DigestError, Hasher};
pub use manifest::{Descriptor, ManifestError, ParsedManifest, MAX_MANIFEST_BYTES};
pub use name::{NameError, Reference, RepositoryName, Tag};
