//! Prints the query plans of the catalogue's key statements for one stream and window
//! (`Catalogue::key_statement_plans`: the statistics of selected streams, the segments and
//! sections of a stream in a window), run with `EXPLAIN (ANALYZE, BUFFERS)` on PostgreSQL
//! (`EXPLAIN QUERY PLAN` on SQLite), for `docs/scale.md`.
//!
//! `cargo run -p siqaco-core --features postgres --example catalogue_plans -- CATALOGUE
//! NET.STA.LOC.CHA START END` (CATALOGUE a SQLite file or a `postgresql://` URL; times such
//! as `2021-01-01`).

use siqaco::index::Catalogue;
use siqaco::time::parse_time;
use siqaco::Nslc;

fn main() -> siqaco::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [catalogue, stream, start, end] = &args[..] else {
        eprintln!("usage: catalogue_plans CATALOGUE NET.STA.LOC.CHA START END");
        std::process::exit(2);
    };
    let nslc: Nslc = stream.parse()?;
    let cat = Catalogue::open_read_only(catalogue)?;
    for p in cat.key_statement_plans(&nslc, parse_time(start)?, parse_time(end)?, true)? {
        println!("-- {}\n{}", p.name, p.sql);
        for line in p.plan {
            println!("    {line}");
        }
        println!();
    }
    Ok(())
}
