//! One typed list of operations per service, from which dispatch, the "not built yet" answer
//! and `docs/operations.md` all follow ([`operations!`]). The lists are checked against
//! botocore's service models (e2e/test_operations.py), so they cannot drift from the services.

/// A service's operations, from its one list. A service keeps the list in a `macro_rules!` of
/// its own (in its leaf module `operations.rs`) that passes it to this macro twice:
///
/// - `enum Operation;` makes the enum of every operation of the service model, with its name,
///   `parse`, `ALL` in the list's order, and `built()` (the handler is not `not_built`). It
///   expands in the leaf, where handler paths are only names.
/// - `dispatch Operation; fn NAME(op, args…) -> Out; call (args…); not_built => EXPR;` makes the
///   function that runs an operation's handler (or answers `EXPR` for one not built). It expands
///   at the top of the service (`mod.rs`), which imports the handlers.
///
/// Each entry is `Name => module::handler` or `Name => not_built`.
#[macro_export]
macro_rules! operations {
    (
        enum $Enum:ident;
        $($name:ident => $($handler:ident)::+,)*
    ) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $Enum {
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
    };
    (
        dispatch $Enum:ident;
        fn $fname:ident($op:ident, $($arg:ident: $argty:ty),*) -> $out:ty;
        call $args:tt;
        not_built => $not_built:expr;
        $($name:ident => $($handler:ident)::+,)*
    ) => {
        /// Run the operation's handler.
        async fn $fname($op: $Enum, $($arg: $argty),*) -> $out {
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
