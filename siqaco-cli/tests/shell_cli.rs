//! `siqaco --version`, `siqaco completions SHELL` and `siqaco man` (docs/cli.md): the version
//! names siqaco's and the vendored libmseed's release, the completion scripts complete the
//! subcommands that `--help` lists (run in bash), the manual page renders with `man`.

mod common;

use common::run as siqaco;
use std::path::Path;
use std::process::{Command, Stdio};

/// The subcommand names of `siqaco --help` ("Commands:" section, first word of each line).
fn subcommands() -> Vec<String> {
    let (code, help, _) = siqaco(&["--help"]);
    assert_eq!(code, Some(0));
    let names: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(names.len() > 10, "{help}");
    names
}

/// `LIBMSEED_VERSION` as the vendored libmseed.h defines it (the source the C library is
/// compiled from), read here independently of the binary.
fn header_libmseed_version() -> String {
    let header =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../siqaco-mseed-sys/libmseed/libmseed.h");
    let text = std::fs::read_to_string(&header).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("#define LIBMSEED_VERSION "))
        .unwrap();
    line.split('"').nth(1).unwrap().to_string()
}

#[test]
fn version_names_siqaco_and_libmseed() {
    let libmseed = header_libmseed_version();
    assert!(libmseed.starts_with("3.5."), "{libmseed}");
    let want = format!(
        "siqaco {} (libmseed {libmseed})\n",
        env!("CARGO_PKG_VERSION")
    );
    for flag in ["--version", "-V"] {
        let (code, out, err) = siqaco(&[flag]);
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(out, want, "{flag}");
    }
}

#[test]
fn completions_name_every_subcommand_in_each_shell() {
    let names = subcommands();
    // Each shell's own marker of a completion definition for `siqaco`.
    for (shell, marker) in [
        ("bash", "complete -F _siqaco"),
        ("zsh", "#compdef siqaco"),
        ("fish", "complete -c siqaco"),
        ("elvish", "edit:completion:arg-completer[siqaco]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let (code, script, err) = siqaco(&["completions", shell]);
        assert_eq!(code, Some(0), "{shell}: {err}");
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        for name in &names {
            assert!(script.contains(name.as_str()), "{shell}: no {name}");
        }
    }
    let (code, _, err) = siqaco(&["completions", "tcsh"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("tcsh"), "{err}");
}

/// bash completes `siqaco s<TAB>` to the subcommands of `--help` that start with `s`, and
/// `siqaco db m<TAB>` to `migrate`, with the script `siqaco completions bash` prints.
#[test]
fn bash_completes_subcommands() {
    if Command::new("bash").arg("-c").arg("true").status().is_err() {
        eprintln!("bash not found: completion not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("siqaco.bash");
    let (code, text, err) = siqaco(&["completions", "bash"]);
    assert_eq!(code, Some(0), "{err}");
    std::fs::write(&script, text).unwrap();
    let complete = |words: &[&str]| -> Vec<String> {
        let line = words.join(" ");
        let program = format!(
            "source '{}'; COMP_WORDS=({line}); COMP_CWORD={}; COMP_LINE='{line}'; \
             COMP_POINT=${{#COMP_LINE}}; _siqaco siqaco '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display(),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(program)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    let mut want: Vec<String> = subcommands()
        .into_iter()
        .filter(|n| n.starts_with('s'))
        .collect();
    want.sort();
    assert!(want.contains(&"scan".to_string()));
    assert_eq!(complete(&["siqaco", "s"]), want);
    assert_eq!(complete(&["siqaco", "db", "m"]), ["migrate"]);
}

#[test]
fn man_page_renders() {
    let (code, page, err) = siqaco(&["man"]);
    assert_eq!(code, Some(0), "{err}");
    let th = page
        .lines()
        .find(|l| l.starts_with(".TH "))
        .expect(".TH line");
    assert!(th.starts_with(".TH siqaco 1 "), "{th}");
    assert!(page.contains(".SH SYNOPSIS") && page.contains(".SH SUBCOMMANDS"));
    let names = subcommands();
    for name in names.iter().filter(|n| *n != "help") {
        assert!(
            page.contains(&format!("siqaco\\-{}(1)", name.replace('-', "\\-"))),
            "{name}"
        );
    }
    // The manual page as man renders it, where man is installed.
    let rendered = Command::new("man")
        .args(["-l", "-"])
        .env("MANWIDTH", "100")
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(page.as_bytes())?;
            child.wait_with_output()
        });
    match rendered {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            // Without overstrike (bold `N\u{8}N`, underline `_\u{8}s`) where man keeps it.
            let mut text = String::new();
            for c in String::from_utf8_lossy(&out.stdout).chars() {
                if c == '\u{8}' {
                    text.pop();
                } else {
                    text.push(c);
                }
            }
            assert!(text.contains("NAME"), "{text}");
            // NAME: the name and the one-line description of `siqaco -h`.
            let (_, short_help, _) = siqaco(&["-h"]);
            let about = short_help.lines().next().unwrap();
            assert!(text.contains(&format!("siqaco - {about}")), "{text}");
            assert!(text.contains("SUBCOMMANDS") && text.contains("siqaco-scan(1)"));
        }
        Err(e) => eprintln!("man not run ({e}): the roff header was checked"),
    }
    // --dir: the page of every subcommand too, each naming itself.
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man1");
    let (code, _, err) = siqaco(&["man", "--dir", out_dir.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    for (name, page) in [
        ("siqaco", "siqaco.1"),
        ("siqaco-scan", "siqaco-scan.1"),
        ("siqaco-db-migrate", "siqaco-db-migrate.1"),
    ] {
        let text = std::fs::read_to_string(out_dir.join(page)).unwrap();
        assert!(text.contains(&format!(".TH {name} 1 ")), "{page}");
    }
}
