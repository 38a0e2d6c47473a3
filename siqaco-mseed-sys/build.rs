//! Compiles the vendored libmseed C sources (`libmseed/`, the release named in
//! `libmseed/libmseed.h`) into a static library with the `cc` crate. The Rust bindings are
//! pre-generated (`src/bindings.rs`, `scripts/gen-mseed-bindings`): no bindgen, no libclang.

use std::path::Path;

/// libmseed's library sources, as its Makefile lists them (`LIB_SRCS`).
const SOURCES: [&str; 17] = [
    "fileutils.c",
    "genutils.c",
    "msio.c",
    "lookup.c",
    "yyjson.c",
    "msrutils.c",
    "extraheaders.c",
    "pack.c",
    "packdata.c",
    "tracelist.c",
    "gmtime64.c",
    "crc32c.c",
    "parseutils.c",
    "unpack.c",
    "unpackdata.c",
    "selection.c",
    "logging.c",
];

fn main() {
    let dir = Path::new("libmseed");
    let mut build = cc::Build::new();
    build.include(dir).warnings(false);
    for source in SOURCES {
        build.file(dir.join(source));
    }
    // The release string of the compiled library, for `libmseed_version()`.
    build.file("src/version.c");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        build.define("_CRT_SECURE_NO_WARNINGS", None);
    }
    build.compile("mseed");
    for source in SOURCES {
        println!("cargo:rerun-if-changed=libmseed/{source}");
    }
    println!("cargo:rerun-if-changed=libmseed/libmseed.h");
    println!("cargo:rerun-if-changed=src/version.c");
    // For dependants that compile C against the same headers (DEP_MSEED_INCLUDE).
    let include = std::env::current_dir()
        .map(|d| d.join(dir))
        .unwrap_or_else(|_| dir.to_path_buf());
    println!("cargo:include={}", include.display());
}
