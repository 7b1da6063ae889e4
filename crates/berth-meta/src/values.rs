//! Closed sets of values stored in the metadata: enums, each with the exact spelling the
//! database and the ECR API use (`as_str`, `FromStr`), instead of strings compared in many
//! places.

/// An enum of names spelled as the protocols spell them.
macro_rules! named_values {
    ($(#[$meta:meta])* $Enum:ident { $($(#[$vmeta:meta])* $Variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $Enum {
            $($(#[$vmeta])* $Variant,)*
        }

        impl $Enum {
            /// Every value, in the model's order.
            pub const ALL: &'static [$Enum] = &[$($Enum::$Variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($Enum::$Variant => $text,)*
                }
            }

            /// Every value's spelling (for "Member must satisfy enum value set" messages).
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl std::str::FromStr for $Enum {
            type Err = ();

            fn from_str(s: &str) -> Result<Self, ()> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or(())
            }
        }

        impl std::fmt::Display for $Enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $Enum {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

named_values! {
    /// ECR's `imageTagMutability`.
    TagMutability {
        Mutable = "MUTABLE",
        Immutable = "IMMUTABLE",
        ImmutableWithExclusion = "IMMUTABLE_WITH_EXCLUSION",
        MutableWithExclusion = "MUTABLE_WITH_EXCLUSION",
    }
}

impl TagMutability {
    /// The modes whose exclusion filters turn the answer around for matching tags.
    pub fn with_exclusion(self) -> bool {
        matches!(
            self,
            TagMutability::ImmutableWithExclusion | TagMutability::MutableWithExclusion
        )
    }
}

named_values! {
    /// ECR's `encryptionType`.
    EncryptionType {
        Aes256 = "AES256",
        Kms = "KMS",
        KmsDsse = "KMS_DSSE",
    }
}

named_values! {
    /// What kind of principal a row of `principals` is.
    PrincipalKind {
        /// An account's root user.
        Root = "root",
        User = "user",
        /// A role (AssumeRole's sessions act as it).
        Role = "role",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelled_as_the_protocols_spell_them() {
        for m in TagMutability::ALL {
            assert_eq!(m.as_str().parse::<TagMutability>(), Ok(*m));
        }
        assert_eq!("mutable".parse::<TagMutability>(), Err(()));
        assert_eq!(EncryptionType::Kms.to_string(), "KMS");
        assert_eq!(
            serde_json::to_value(TagMutability::ImmutableWithExclusion).unwrap(),
            "IMMUTABLE_WITH_EXCLUSION"
        );
        assert!(TagMutability::MutableWithExclusion.with_exclusion());
        assert!(!TagMutability::Immutable.with_exclusion());
    }
}

named_values! {
    /// A scan's state, as stored: `Pending` (requested, not yet claimed) is answered as
    /// IN_PROGRESS by ECR's API, the others as they are spelled.
    ScanStatus {
        Pending = "PENDING",
        InProgress = "IN_PROGRESS",
        Complete = "COMPLETE",
        Failed = "FAILED",
        UnsupportedImage = "UNSUPPORTED_IMAGE",
    }
}

named_values! {
    /// A replication's state, as stored: `Pending` (asked for, not yet claimed, or waiting to
    /// retry) is answered as IN_PROGRESS by ECR's API, the others as they are spelled.
    ReplicationStatus {
        Pending = "PENDING",
        InProgress = "IN_PROGRESS",
        Complete = "COMPLETE",
        Failed = "FAILED",
    }
}

named_values! {
    /// ECR's `ReplicationBackfillStatus`.
    BackfillStatus {
        Preparing = "PREPARING",
        InProgress = "IN_PROGRESS",
        Complete = "COMPLETE",
        Failed = "FAILED",
        Stopping = "STOPPING",
        Stopped = "STOPPED",
    }
}

impl BackfillStatus {
    /// Whether it has not ended (one such backfill per destination region at a time).
    pub fn is_going(self) -> bool {
        matches!(
            self,
            BackfillStatus::Preparing | BackfillStatus::InProgress | BackfillStatus::Stopping
        )
    }
}
