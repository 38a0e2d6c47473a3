//! `siqaco serve` in a build without the `serve` feature.
crate::without::without_feature!(ServeArgs, "serve");
