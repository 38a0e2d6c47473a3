//! The names a user types for the values of an enum (an encoding, a byte order, a
//! ranking...), and the one error that refuses another name.

use crate::error::{Error, Result};

/// The value of `names` whose name is `text` (any case, surrounding blanks ignored).
///
/// # Errors
/// [`Error::InvalidArgument`] `"TEXT": expected a, b or c` (the names in their order) for
/// another text; [`super::parse_field`] names the field.
pub(crate) fn one_of<T: Copy>(text: &str, names: &[(&str, T)]) -> Result<T> {
    let lower = text.trim().to_ascii_lowercase();
    if let Some((_, v)) = names.iter().find(|(n, _)| *n == lower) {
        return Ok(*v);
    }
    let listed: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
    let expected = match listed.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    Err(Error::invalid_argument(format!(
        "{text:?}: expected {expected}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_the_refusal() {
        let names = [("big", 1), ("little", 2)];
        assert_eq!(one_of(" Big", &names).unwrap(), 1);
        assert_eq!(
            one_of("middle", &names).unwrap_err().to_string(),
            "invalid argument: \"middle\": expected big or little"
        );
        let names = [("a", 1), ("b", 2), ("c", 3)];
        assert_eq!(
            one_of("x", &names).unwrap_err().to_string(),
            "invalid argument: \"x\": expected a, b or c"
        );
    }
}
