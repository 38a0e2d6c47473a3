//! Profiles of the AWS shared configuration files, the middle of the standard credential
//! chain (environment, **profile**, instance role) for `s3://` archive roots.
//!
//! `object_store`'s `AmazonS3Builder::from_env` reads the environment and, when nothing
//! else is given, the instance role (and web identity, container credentials), but not the
//! files of `aws configure`. This module reads them as the AWS CLI does
//! (<https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html>):
//!
//! * the profile is `AWS_PROFILE` (default `default`);
//! * the credentials file is `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`),
//!   sections `[NAME]`; the config file is `AWS_CONFIG_FILE` (default `~/.aws/config`),
//!   sections `[profile NAME]` (and `[default]`);
//! * keys `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token` (the
//!   credentials file first, then the config file), `region` and `endpoint_url` (config file);
//! * precedence: a setting of the environment wins (`AWS_ACCESS_KEY_ID` or web identity for
//!   the credentials, `AWS_REGION`/`AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`/`AWS_ENDPOINT`);
//!   a profile without keys leaves the credentials to the instance role.
//!
//! A profile named with `AWS_PROFILE` that neither file has, keys half given, or a profile
//! that needs what siqaco does not do (`role_arn`, `sso_session`, `credential_process`...)
//! is a configuration error naming the files and the profile.

use crate::error::{Error, Result};
use object_store::aws::AmazonS3ConfigKey;
use std::path::{Path, PathBuf};

/// What one profile of the shared files gives (every field optional).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Profile {
    /// The profile's name (`AWS_PROFILE`, or `default`).
    pub name: String,
    /// `aws_access_key_id`.
    pub access_key_id: Option<String>,
    /// `aws_secret_access_key`.
    pub secret_access_key: Option<String>,
    /// `aws_session_token` (temporary credentials).
    pub session_token: Option<String>,
    /// `region`.
    pub region: Option<String>,
    /// `endpoint_url`.
    pub endpoint_url: Option<String>,
}

/// Keys of a profile that ask for a credential provider siqaco does not implement.
const UNSUPPORTED: [&str; 6] = [
    "role_arn",
    "source_profile",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "web_identity_token_file",
];

/// The two files: (credentials, config), from the variables or under the home directory
/// (`HOME`, else `USERPROFILE`); `None` for a default path when there is no home.
fn files(env: &dyn Fn(&str) -> Option<String>) -> (Option<PathBuf>, Option<PathBuf>) {
    let home = env("HOME")
        .or_else(|| env("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    let pick = |var: &str, name: &str| {
        env(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(name)))
    };
    (
        pick("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        pick("AWS_CONFIG_FILE", "config"),
    )
}

/// The section `section` of the INI file at `path`, as (key, value) pairs; `Ok(None)` when
/// the file does not exist or has no such section.
fn section(path: Option<&Path>, section: &str) -> Result<Option<Vec<(String, String)>>> {
    let Some(path) = path else { return Ok(None) };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    // secrets are taken literally: no quotes or backslash escapes as rust-ini's defaults
    let opt = ini::ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        ..Default::default()
    };
    let doc = ini::Ini::load_from_str_opt(&text, opt).map_err(|e| {
        Error::config_from(
            format!("{}: not a valid AWS profile file", path.display()),
            e,
        )
    })?;
    Ok(doc
        .iter()
        .find(|(name, _)| name.map(str::trim) == Some(section))
        .map(|(_, props)| {
            props
                .iter()
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect()
        }))
}

/// The profile in force: `AWS_PROFILE` (default `default`) from the credentials and config
/// files. `Ok(None)` when the `default` profile is wanted and neither file has it.
///
/// # Errors
/// [`Error::Config`] naming the files and the profile: a profile named with `AWS_PROFILE`
/// that neither file has; an unreadable or malformed file; an access key id without a
/// secret (or the reverse); a profile that needs a role, SSO or an external process.
pub(crate) fn load(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Profile>> {
    let named = env("AWS_PROFILE").filter(|p| !p.is_empty());
    let name = named.clone().unwrap_or_else(|| "default".to_string());
    let (cred_file, conf_file) = files(env);
    let creds = section(cred_file.as_deref(), &name)?;
    let mut conf = section(conf_file.as_deref(), &format!("profile {name}"))?;
    if conf.is_none() && name == "default" {
        conf = section(conf_file.as_deref(), "default")?;
    }
    let where_ = || {
        let show = |p: &Option<PathBuf>| {
            p.as_ref().map_or("(no home directory)".to_string(), |p| {
                p.display().to_string()
            })
        };
        format!(
            "AWS profile {name:?} (credentials file {}, config file {})",
            show(&cred_file),
            show(&conf_file)
        )
    };
    if creds.is_none() && conf.is_none() {
        return match named {
            Some(_) => Err(Error::config(format!(
                "{}: no such profile in either file (AWS_PROFILE)",
                where_()
            ))),
            None => Ok(None),
        };
    }
    let get = |key: &str, from: &[&Option<Vec<(String, String)>>]| {
        from.iter().find_map(|s| {
            s.as_ref()?
                .iter()
                .find(|(k, v)| k == key && !v.is_empty())
                .map(|(_, v)| v.clone())
        })
    };
    let both = [&creds, &conf];
    let p = Profile {
        access_key_id: get("aws_access_key_id", &both),
        secret_access_key: get("aws_secret_access_key", &both),
        session_token: get("aws_session_token", &both),
        region: get("region", &[&conf]),
        endpoint_url: get("endpoint_url", &[&conf]),
        name: name.clone(),
    };
    match (&p.access_key_id, &p.secret_access_key) {
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::config(format!(
                "{}: aws_access_key_id and aws_secret_access_key must be given together",
                where_()
            )))
        }
        (None, None) => {
            if let Some(k) = UNSUPPORTED.iter().find(|k| get(k, &both).is_some()) {
                return Err(Error::config(format!(
                    "{}: `{k}` is not supported by siqaco; export the profile's credentials \
                     (aws configure export-credentials --profile {} --format env)",
                    where_(),
                    p.name
                )));
            }
        }
        _ => {}
    }
    Ok(Some(p))
}

/// The settings the profile adds to a client configured from the environment: those the
/// environment does not give (see the module's precedence). `anonymous`: unsigned
/// requests, so no credentials are taken from the profile.
///
/// # Errors
/// As [`load`].
pub(crate) fn settings(
    env: &dyn Fn(&str) -> Option<String>,
    anonymous: bool,
) -> Result<Vec<(AmazonS3ConfigKey, String)>> {
    let Some(p) = load(env)? else {
        return Ok(Vec::new());
    };
    let set = |var: &str| env(var).is_some_and(|v| !v.is_empty());
    let mut out = Vec::new();
    let env_credentials = set("AWS_ACCESS_KEY_ID")
        || set("AWS_SECRET_ACCESS_KEY")
        || (set("AWS_WEB_IDENTITY_TOKEN_FILE") && set("AWS_ROLE_ARN"));
    let skip_signature = env("AWS_SKIP_SIGNATURE").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !env_credentials && !anonymous && !skip_signature {
        if let (Some(k), Some(s)) = (p.access_key_id, p.secret_access_key) {
            out.push((AmazonS3ConfigKey::AccessKeyId, k));
            out.push((AmazonS3ConfigKey::SecretAccessKey, s));
            if let Some(t) = p.session_token {
                out.push((AmazonS3ConfigKey::Token, t));
            }
        }
    }
    if !set("AWS_REGION") && !set("AWS_DEFAULT_REGION") {
        if let Some(r) = p.region {
            out.push((AmazonS3ConfigKey::Region, r));
        }
    }
    if !set("AWS_ENDPOINT_URL") && !set("AWS_ENDPOINT") {
        if let Some(e) = p.endpoint_url {
            out.push((AmazonS3ConfigKey::Endpoint, e));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const CREDENTIALS: &str = "\
# written by aws configure
[default]
aws_access_key_id = AKIDEFAULT
aws_secret_access_key = secret/default+key

[archive]
aws_access_key_id=AKIARCHIVE
aws_secret_access_key=secret-archive
aws_session_token = token-archive

[half]
aws_access_key_id = AKIHALF
";

    const CONFIG: &str = "\
[default]
region = us-west-2

[profile archive]
region = eu-central-1
endpoint_url = http://127.0.0.1:9000
s3 =
  addressing_style = path

[profile only-config]
region = ap-southeast-2
aws_access_key_id = AKICONFIG
aws_secret_access_key = secret-config

[profile role]
role_arn = arn:aws:iam::123456789012:role/reader
source_profile = default
";

    /// A temporary home with both files; the environment as a map.
    fn setup(vars: &[(&str, &str)]) -> (tempfile::TempDir, HashMap<String, String>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".aws")).unwrap();
        std::fs::write(dir.path().join(".aws/credentials"), CREDENTIALS).unwrap();
        std::fs::write(dir.path().join(".aws/config"), CONFIG).unwrap();
        let mut env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.insert("HOME".into(), dir.path().display().to_string());
        (dir, env)
    }

    fn get(env: &HashMap<String, String>) -> impl Fn(&str) -> Option<String> + '_ {
        |k| env.get(k).cloned()
    }

    fn keys(s: &[(AmazonS3ConfigKey, String)]) -> Vec<(String, String)> {
        s.iter()
            .map(|(k, v)| (k.as_ref().to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn the_default_profile_comes_from_both_files() {
        let (_d, env) = setup(&[]);
        let p = load(&get(&env)).unwrap().unwrap();
        assert_eq!(
            p,
            Profile {
                name: "default".into(),
                access_key_id: Some("AKIDEFAULT".into()),
                secret_access_key: Some("secret/default+key".into()),
                session_token: None,
                region: Some("us-west-2".into()),
                endpoint_url: None,
            }
        );
    }

    #[test]
    fn a_named_profile_takes_profile_sections_of_the_config_file() {
        let (_d, env) = setup(&[("AWS_PROFILE", "archive")]);
        let s = keys(&settings(&get(&env), false).unwrap());
        assert_eq!(
            s,
            [
                ("aws_access_key_id", "AKIARCHIVE"),
                ("aws_secret_access_key", "secret-archive"),
                ("aws_session_token", "token-archive"),
                ("aws_region", "eu-central-1"),
                ("aws_endpoint", "http://127.0.0.1:9000"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        // credentials in the config file alone are enough
        let (_d, env) = setup(&[("AWS_PROFILE", "only-config")]);
        let p = load(&get(&env)).unwrap().unwrap();
        assert_eq!(p.access_key_id.as_deref(), Some("AKICONFIG"));
        assert_eq!(p.region.as_deref(), Some("ap-southeast-2"));
    }

    #[test]
    fn the_environment_wins_over_the_profile() {
        let (_d, env) = setup(&[
            ("AWS_PROFILE", "archive"),
            ("AWS_ACCESS_KEY_ID", "AKIENV"),
            ("AWS_SECRET_ACCESS_KEY", "env"),
            ("AWS_REGION", "us-east-2"),
        ]);
        // only the endpoint is left to the profile
        assert_eq!(
            keys(&settings(&get(&env), false).unwrap()),
            [(
                "aws_endpoint".to_string(),
                "http://127.0.0.1:9000".to_string()
            )]
        );
        let (_d, env) = setup(&[
            ("AWS_PROFILE", "archive"),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
            ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
            ("AWS_ENDPOINT_URL", "https://s3.example.org"),
        ]);
        assert_eq!(
            keys(&settings(&get(&env), false).unwrap()),
            [("aws_region".to_string(), "eu-central-1".to_string())]
        );
        // anonymous requests take no credentials from the profile
        for (anonymous, skip) in [(true, "false"), (false, "true")] {
            let (_d, env) = setup(&[("AWS_SKIP_SIGNATURE", skip)]);
            assert_eq!(
                keys(&settings(&get(&env), anonymous).unwrap()),
                [("aws_region".to_string(), "us-west-2".to_string())]
            );
        }
    }

    #[test]
    fn the_variables_name_the_files() {
        let (d, mut env) = setup(&[("AWS_PROFILE", "moved")]);
        let creds = d.path().join("elsewhere-credentials");
        let conf = d.path().join("elsewhere-config");
        std::fs::write(
            &creds,
            "[moved]\naws_access_key_id = A\naws_secret_access_key = B\n",
        )
        .unwrap();
        std::fs::write(&conf, "[profile moved]\nregion = sa-east-1\n").unwrap();
        env.insert(
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            creds.display().to_string(),
        );
        env.insert("AWS_CONFIG_FILE".into(), conf.display().to_string());
        let p = load(&get(&env)).unwrap().unwrap();
        assert_eq!(
            (p.access_key_id, p.secret_access_key, p.region),
            (Some("A".into()), Some("B".into()), Some("sa-east-1".into()))
        );
    }

    #[test]
    fn a_missing_default_profile_leaves_the_instance_role() {
        let dir = tempfile::tempdir().unwrap();
        let env: HashMap<String, String> =
            [("HOME".to_string(), dir.path().display().to_string())].into();
        assert_eq!(load(&get(&env)).unwrap(), None);
        assert!(settings(&get(&env), false).unwrap().is_empty());
        // a profile without keys: no credentials from it either
        let (_d, env) = setup(&[("AWS_PROFILE", "archive")]);
        let mut env = env;
        std::fs::write(
            Path::new(&env["HOME"]).join(".aws/credentials"),
            "[other]\naws_access_key_id = X\naws_secret_access_key = Y\n",
        )
        .unwrap();
        env.insert("AWS_REGION".into(), "us-east-1".into());
        env.insert("AWS_ENDPOINT_URL".into(), "https://s3.example.org".into());
        assert!(settings(&get(&env), false).unwrap().is_empty());
    }

    #[test]
    fn errors_name_the_files_and_the_profile() {
        let (d, env) = setup(&[("AWS_PROFILE", "nosuch")]);
        let e = load(&get(&env)).unwrap_err().to_string();
        let creds = d.path().join(".aws/credentials").display().to_string();
        let conf = d.path().join(".aws/config").display().to_string();
        assert!(
            e.contains("\"nosuch\"") && e.contains(&creds) && e.contains(&conf),
            "{e}"
        );
        let (_d, env) = setup(&[("AWS_PROFILE", "half")]);
        let e = load(&get(&env)).unwrap_err().to_string();
        assert!(e.contains("\"half\"") && e.contains("together"), "{e}");
        let (_d, env) = setup(&[("AWS_PROFILE", "role")]);
        let e = load(&get(&env)).unwrap_err().to_string();
        assert!(
            e.contains("role_arn") && e.contains("export-credentials"),
            "{e}"
        );
        let (d, env) = setup(&[]);
        std::fs::write(d.path().join(".aws/config"), "[default\nregion = x\n").unwrap();
        let e = load(&get(&env)).unwrap_err().to_string();
        assert!(e.contains("not a valid AWS profile file"), "{e}");
    }
}
