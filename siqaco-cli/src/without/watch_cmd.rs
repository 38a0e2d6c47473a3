//! `siqaco watch` in a build without the `watch` feature.
crate::without::without_feature!(WatchArgs, "watch");
