//! What can stop a scan of an image's content.

/// Why a layer or a package database could not be read. A scan that meets one is FAILED with
/// this description; nothing is guessed.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("layer {layer}: not a readable archive: {reason}")]
    Archive { layer: usize, reason: String },
    #[error("layer {layer}: {what} exceeds the scan's limit of {limit}")]
    Limit {
        layer: usize,
        what: &'static str,
        limit: u64,
    },
}
