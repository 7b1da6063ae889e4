//! One typed list of operations per service, from which dispatch, the "not built yet" answer
//! and the README's table all follow: [`operations!`] turns a list of `Name => handler` (or
//! `Name => not_built`) into the service's `Operation` enum with its name, whether it is built,
//! every operation in order, and its dispatch. The list is checked against botocore's service
//! model (e2e/test_operations.py), so it cannot drift from the service.

/// Declare a service's operations. Each entry is `Name => path::to::handler` for a built
/// operation, `Name => not_built` for one the service model has that Berth does not serve yet.
/// Every handler takes the same arguments (`$arg: $argty`, …, passed on as `call (…)`) and
/// returns `$out`; the macro makes `dispatch(op, $arg, …)` calling the operation's handler, and
/// `$not_built` answers the operations that are not built.
#[macro_export]
macro_rules! operations {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Enum:ident;
        dispatch($op:ident, $($arg:ident: $argty:ty),*) -> $out:ty;
        call $args:tt;
        not_built => $not_built:expr;
        $($name:ident => $($handler:ident)::+,)*
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $Enum {
            $($name,)*
        }

        impl $Enum {
            /// Every operation of the service model, in the list's order.
            pub const ALL: &'static [$Enum] = &[$($Enum::$name,)*];

            /// The operation's name in the service model (and in `X-Amz-Target` or `Action`).
            pub fn name(self) -> &'static str {
                match self {
                    $($Enum::$name => stringify!($name),)*
                }
            }

            /// The operation of that name, if the service model has one.
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|o| o.name() == name)
            }

            /// Whether Berth serves it (else it answers that it is not built yet).
            pub fn built(self) -> bool {
                match self {
                    $($Enum::$name => stringify!($($handler)::+) != "not_built",)*
                }
            }
        }

        /// Run the operation's handler.
        pub async fn dispatch($op: $Enum, $($arg: $argty),*) -> $out {
            match $op {
                $($Enum::$name => $crate::operations!(@call $not_built, $($handler)::+, $args),)*
            }
        }
    };
    (@call $not_built:expr, not_built, $args:tt) => {{
        #[allow(unused_parens)]
        let _ = $args;
        $not_built
    }};
    (@call $not_built:expr, $($handler:ident)::+, $args:tt) => {
        $($handler)::+ $args .await
    };
}

/// The README's table of a service's operations: one row per operation, built or not yet.
pub fn readme_table(service: &str, ops: &[(&str, bool)]) -> String {
    let mut out = format!("| {service} operation | |\n|---|---|\n");
    for (name, built) in ops {
        out.push_str(&format!(
            "| {name} | {} |\n",
            if *built { "served" } else { "not built yet" }
        ));
    }
    out
}

/// `(name, built)` of every operation in a service's list.
macro_rules! listed {
    ($Enum:ty) => {
        <$Enum>::ALL
            .iter()
            .map(|o| (o.name(), o.built()))
            .collect::<Vec<(&str, bool)>>()
    };
}

/// `docs/operations.md`: every service's table.
pub fn document() -> String {
    let services = [
        (
            "ECR",
            "AWS JSON 1.1, `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Operation>`",
            listed!(crate::ecr::Operation),
        ),
        (
            "ECR Public",
            "AWS JSON 1.1, `X-Amz-Target: SpencerFrontendService.<Operation>`",
            listed!(crate::ecr_public::Operation),
        ),
        (
            "IAM",
            "Query, `Action=<Operation>&Version=2010-05-08`",
            listed!(crate::iam::Operation),
        ),
        (
            "STS",
            "Query, `Action=<Operation>&Version=2011-06-15`",
            listed!(crate::sts::Operation),
        ),
    ];
    let mut out = String::from(
        "# The operations Berth serves\n\n\
         Generated from the typed operation lists in `crates/berth-api` (the test \
         `operations::tests::document_is_current` checks it; `BERTH_BLESS=1 cargo test -p \
         berth-api document_is_current` rewrites it). Each list is every operation of the \
         service's current botocore model (`e2e/test_operations.py` checks that); an operation \
         not built yet answers an error naming it.\n",
    );
    for (service, protocol, ops) in services {
        let served = ops.iter().filter(|(_, b)| *b).count();
        out.push_str(&format!(
            "\n## {service}: {served} of {} served\n\n{protocol}\n\n{}",
            ops.len(),
            readme_table(service, &ops)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn document_is_current() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/operations.md");
        let want = super::document();
        if std::env::var("BERTH_BLESS").as_deref() == Ok("1") {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/operations.md is out of date: BERTH_BLESS=1 cargo test -p berth-api document_is_current"
        );
    }
}
