//! The commands of a build without their Cargo feature (`scripts/demo` builds only what the
//! demo needs): each keeps its place in `siqaco --help`, takes any arguments and fails,
//! naming the feature, with exit status 2.

/// Defines `$args` (a command's arguments, any, not read) and `run`, which fails with an
/// invalid-argument error naming `$feature`.
macro_rules! without_feature {
    ($args:ident, $feature:literal) => {
        /// The arguments of a command this build lacks (taken whole, not read).
        #[derive(clap::Args, Debug)]
        pub struct $args {
            #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
            args: Vec<std::ffi::OsString>,
        }

        /// Fails: this siqaco was built without the feature.
        pub fn run(_: &$args) -> siqaco::Result<u8> {
            Err($crate::without::missing($feature))
        }
    };
}
pub(crate) use without_feature;

/// The error of a command whose Cargo feature this build lacks.
pub fn missing(feature: &str) -> siqaco::Error {
    siqaco::Error::invalid_argument(format!(
        "this siqaco was built without the `{feature}` feature \
         (`cargo install --path siqaco-cli` builds every command)"
    ))
}
