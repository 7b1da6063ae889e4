//! Sealing secrets at rest under the installation's master key.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the master key must be 32 bytes")]
    BadMasterKey,
    #[error("a sealed secret could not be opened (wrong master key or corrupt data)")]
    Corrupt,
}

/// The 32-byte key that seals secrets. It lives outside the database (a file in the data
/// directory, mode 0600, or the environment).
#[derive(Clone)]
pub struct MasterKey(Key);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    pub fn generate() -> Self {
        MasterKey(ChaCha20Poly1305::generate_key(&mut OsRng))
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, SecretError> {
        if b.len() != 32 {
            return Err(SecretError::BadMasterKey);
        }
        Ok(MasterKey(*Key::from_slice(b)))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_slice()
    }

    /// `nonce ‖ ciphertext+tag`.
    pub fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, SecretError> {
        let cipher = ChaCha20Poly1305::new(&self.0);
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        out.extend(
            cipher
                .encrypt(&nonce, plain)
                .map_err(|_| SecretError::Corrupt)?,
        );
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, SecretError> {
        if sealed.len() < 12 {
            return Err(SecretError::Corrupt);
        }
        let (nonce, ct) = sealed.split_at(12);
        ChaCha20Poly1305::new(&self.0)
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| SecretError::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_tamper() {
        let k = MasterKey::generate();
        let s = k.seal(b"secret").unwrap();
        assert_ne!(&s[12..], b"secret");
        assert_eq!(k.open(&s).unwrap(), b"secret");
        let mut bad = s.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(k.open(&bad).is_err());
        assert!(MasterKey::generate().open(&s).is_err());
        assert!(MasterKey::from_bytes(&[0; 31]).is_err());
    }
}
