//! Raw bindings to [libmseed](https://github.com/EarthScope/libmseed) 3.5.4, the miniSEED
//! library of EarthScope, at the release pymseed ships.
//!
//! The C sources are vendored in `libmseed/` (Apache-2.0, its `LICENSE` and `ChangeLog`
//! beside them) and compiled by the build script with the `cc` crate into a static
//! library; the bindings in `src/bindings.rs` were generated once with bindgen from
//! `libmseed/libmseed.h` by `scripts/gen-mseed-bindings` (in the siqaco repository) and
//! are committed, so building needs a C compiler only — no bindgen, no libclang. They
//! cover libmseed's types (`MS3Record`, `MS3TraceList`, …), its `MS_*`, `MSF_*`, `DE_*`
//! constants and its `ms_*`, `ms3_*`, `msr3_*`, `mst*` and `mseh_*` functions, exactly as
//! `libmseed.h` declares them; the header is the documentation of each item.
//!
//! The bindings were generated on x86_64 Linux (LP64: `long` and pointers of 8 bytes); the
//! layout checks bindgen writes next to each structure stop a build on a target whose
//! layout differs, rather than letting it misread records.
//!
//! Everything here is `unsafe` C; siqaco uses it through `siqaco::codec` only.

#![allow(non_upper_case_globals, non_camel_case_types, non_snake_case)]
#![allow(missing_docs, clippy::all, rustdoc::all)]

mod bindings;
pub use bindings::*;

extern "C" {
    /// `LIBMSEED_VERSION` of the compiled library (`src/version.c`): a static,
    /// NUL-terminated string such as `3.5.4`.
    fn siqaco_mseed_libmseed_version() -> *const std::ffi::c_char;
}

/// The release of the libmseed linked into this program (`LIBMSEED_VERSION` as the C
/// library was compiled, e.g. `"3.5.4"`), read from the library at run time.
pub fn libmseed_version() -> &'static str {
    // SAFETY: the C function returns a pointer to a static NUL-terminated string literal.
    let version = unsafe { std::ffi::CStr::from_ptr(siqaco_mseed_libmseed_version()) };
    version.to_str().unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_is_the_release_of_the_header() {
        // The header's LIBMSEED_VERSION (bindings) and the compiled library's agree.
        let header = std::ffi::CStr::from_bytes_with_nul(LIBMSEED_VERSION).unwrap();
        assert_eq!(libmseed_version(), header.to_str().unwrap());
        assert_eq!(libmseed_version(), "3.5.4");
    }

    #[test]
    fn crc32c_of_the_standard_check_string() {
        // CRC-32C (Castagnoli) of "123456789" is 0xE3069283 (RFC 3720, appendix B.4).
        let crc = unsafe { ms_crc32c(b"123456789".as_ptr(), 9, 0) };
        assert_eq!(crc, 0xE306_9283);
    }
}
