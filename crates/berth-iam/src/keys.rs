//! Identifiers in AWS's formats.

use rand::Rng;

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

/// The six letters and digits AWS appends to a secret's name in its ARN.
pub fn generate_secret_arn_suffix() -> String {
    random_from(&SECRET_CHARS[..62], 6)
}

/// An access key ID: `AKIA` and 16 base32 characters.
pub fn generate_access_key_id() -> String {
    format!("AKIA{}", random_from(BASE32, 16))
}

/// A 40-character secret access key.
pub fn generate_secret() -> String {
    random_from(SECRET_CHARS, 40)
}

/// A principal's unique ID: `AIDA` and 17 base32 characters.
pub fn generate_unique_id() -> String {
    unique_id_with("AIDA")
}

/// A unique ID with IAM's prefix for its kind (`AROA` roles, `AGPA` groups, `ANPA` policies).
pub fn unique_id_with(prefix: &str) -> String {
    format!("{prefix}{}", random_from(BASE32, 17))
}

/// Access key IDs are 16 to 128 word characters (IAM's `accessKeyIdType`).
pub fn valid_access_key_id(id: &str) -> bool {
    (16..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}
