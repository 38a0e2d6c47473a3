//! `siqaco report` in a build without the `plot` feature.
crate::without::without_feature!(ReportArgs, "plot");
