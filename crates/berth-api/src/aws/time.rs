//! Time as the AWS protocols carry it.

/// Epoch milliseconds, serialized as AWS's JSON protocols send timestamps: epoch seconds with
/// milliseconds, as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch(pub i64);

impl serde::Serialize for Epoch {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0 as f64 / 1000.0)
    }
}
