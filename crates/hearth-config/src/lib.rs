//! Hearth's settings: one typed struct, read from the environment (and an optional TOML file that the
//! environment overrides), validated once at start and then passed to whoever needs it.
//!
//! Nothing else in Hearth reads the environment. The names follow the reference deployment guides so
//! that operators carry their knowledge over; `docs/configuration.md` is generated from the doc comments
//! in [`sections`] by [`reference_markdown`].

mod duration;
mod load;
mod reference;
mod secret;
pub mod sections;
mod tunable;
mod validate;

use std::path::{Path, PathBuf};

pub use duration::HumanDuration;
pub use reference::reference_markdown;
pub use secret::Secret;
pub use sections::*;
pub use tunable::{TUNABLES, TunableGroup, TunableSetting};
pub use validate::Warning;

/// Environment variable naming an optional TOML file of settings (flat `NAME = value` pairs).
pub const CONFIG_FILE_VAR: &str = "HEARTH_CONFIG_FILE";

/// Every setting Hearth reads, grouped by concern.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub core: CoreSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub vector: VectorSettings,
    pub storage: StorageSettings,
    pub rag: RagSettings,
    pub models: ModelSettings,
    pub security: SecuritySettings,
    pub jobs: JobSettings,
    pub observability: ObservabilitySettings,
    /// Names the environment or the config file set; administrators cannot change those.
    fixed: std::collections::BTreeSet<String>,
}

/// A configuration that cannot be used; the message is one line that says what to change.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problems.join("; "))]
pub struct ConfigError {
    problems: Vec<String>,
}

impl ConfigError {
    pub(crate) fn invalid(problem: impl Into<String>) -> Self {
        Self {
            problems: vec![problem.into()],
        }
    }

    /// The individual problems, each naming the setting at fault.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

/// Every setting's environment name (for checks of deployment files and documents).
pub fn known_setting_names() -> std::collections::BTreeSet<String> {
    reference::known_names()
}

impl Settings {
    /// Reads the process environment, and the TOML file named by `HEARTH_CONFIG_FILE` or `file`.
    pub fn from_process_env(file: Option<&Path>) -> Result<Self, ConfigError> {
        #[allow(clippy::disallowed_methods)] // the one place that reads the environment
        let env = std::env::vars_os().filter_map(|(name, value)| {
            Some((name.into_string().ok()?, value.into_string().ok()?))
        });
        Self::from_sources(env, file)
    }

    /// Builds settings from explicit environment pairs and an optional TOML file; the environment wins.
    /// Unknown environment variables are ignored; unknown keys in the file are refused (likely typos).
    pub fn from_sources(
        env: impl IntoIterator<Item = (String, String)>,
        file: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let env: Vec<(String, String)> = env.into_iter().collect();
        let file = file.map(Path::to_path_buf).or_else(|| {
            env.iter()
                .find(|(name, value)| name == CONFIG_FILE_VAR && !value.is_empty())
                .map(|(_, value)| PathBuf::from(value))
        });
        let names = reference::known_names();
        let known = |name: &str| names.contains(name);
        let mut raw = match &file {
            Some(path) => load::RawValues::from_toml_file(path)?,
            None => load::RawValues::default(),
        };
        if let Some(path) = &file {
            let unknown = raw.unknown_names(&known);
            if !unknown.is_empty() {
                return Err(ConfigError::invalid(format!(
                    "{}: unknown setting(s) {} (see docs/configuration.md)",
                    path.display(),
                    unknown.join(", ")
                )));
            }
        }
        raw.overlay_env(env, &known);
        Ok(Self {
            fixed: raw.names(),
            core: raw.section()?,
            database: raw.section()?,
            redis: raw.section()?,
            vector: raw.section()?,
            storage: raw.section()?,
            rag: raw.section()?,
            models: raw.section()?,
            security: raw.section()?,
            jobs: raw.section()?,
            observability: raw.section()?,
        })
    }

    /// Where the relational database lives, resolved from `DATABASE_URL` (default: SQLite in `DATA_DIR`).
    pub fn database_target(&self) -> Result<DatabaseTarget, ConfigError> {
        DatabaseTarget::parse(self.database.database_url.as_ref(), &self.core.data_dir)
    }
}

/// The database named by `DATABASE_URL`, by backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// A SQLite file.
    Sqlite { path: PathBuf },
    /// A PostgreSQL server (`postgres://` or `postgresql://`).
    Postgres { url: Secret },
    /// A MariaDB or MySQL server (`mysql://` or `mariadb://`, passed on as `mysql://`).
    MySql { url: Secret },
}

impl DatabaseTarget {
    fn parse(url: Option<&Secret>, data_dir: &Path) -> Result<Self, ConfigError> {
        let Some(url) = url else {
            return Ok(Self::Sqlite {
                path: data_dir.join("hearth.db"),
            });
        };
        let text = url.expose().trim();
        let (scheme, rest) = text.split_once(':').ok_or_else(|| {
            ConfigError::invalid("DATABASE_URL: expected a URL such as sqlite://data/hearth.db or postgres://user@host/db")
        })?;
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                let path = rest.strip_prefix("//").unwrap_or(rest);
                let path = path.split('?').next().unwrap_or_default();
                if path.is_empty() || path.contains(":memory:") {
                    return Err(ConfigError::invalid(
                        "DATABASE_URL: an in-memory or empty SQLite path would lose every write; give a file path such as sqlite://data/hearth.db",
                    ));
                }
                Ok(Self::Sqlite {
                    path: PathBuf::from(path),
                })
            }
            "postgres" | "postgresql" => Ok(Self::Postgres {
                url: Secret::new(text),
            }),
            "mysql" | "mariadb" => Ok(Self::MySql {
                url: Secret::new(format!("mysql:{rest}")),
            }),
            other => Err(ConfigError::invalid(format!(
                "DATABASE_URL: unsupported scheme `{other}` (expected sqlite, postgres, postgresql, mysql or mariadb)"
            ))),
        }
    }

    /// The backend's name as operators know it.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite { .. } => "sqlite",
            Self::Postgres { .. } => "postgres",
            Self::MySql { .. } => "mysql",
        }
    }

    /// Whether this is the embedded SQLite database.
    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_configuration() {
        let settings = Settings::from_sources(env(&[]), None).unwrap();
        assert_eq!(settings.core.port, 8080);
        assert_eq!(settings.core.data_dir, PathBuf::from("data"));
        assert_eq!(
            settings.database_target().unwrap(),
            DatabaseTarget::Sqlite {
                path: PathBuf::from("data/hearth.db")
            }
        );
        assert!(settings.core.hearth_inline_worker);
    }

    #[test]
    fn environment_values_are_typed_by_the_schema() {
        let settings = Settings::from_sources(
            env(&[
                ("PORT", "9000"),
                ("HEARTH_SECRET_KEY", "12345"),
                ("ENABLE_SIGNUP", "false"),
                ("JWT_EXPIRES_IN", "30m"),
                ("CORS_ALLOW_ORIGIN", "https://a.example; https://b.example"),
                ("REDIS_SENTINEL_HOSTS", "s1:26379,s2:26379"),
                ("OPENAI_API_KEYS", "k1;;k3"),
                ("LOG_FORMAT", "json"),
                ("UNRELATED_VARIABLE", "ignored"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(settings.core.port, 9000);
        assert_eq!(settings.core.hearth_secret_key.unwrap().expose(), "12345");
        assert!(!settings.security.enable_signup);
        assert_eq!(settings.core.jwt_expires_in.0.as_secs(), 1800);
        assert_eq!(
            settings.core.cors_allow_origin,
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(
            settings.redis.redis_sentinel_hosts,
            ["s1:26379", "s2:26379"]
        );
        let keys: Vec<&str> = settings
            .models
            .openai_api_keys
            .iter()
            .map(Secret::expose)
            .collect();
        assert_eq!(
            keys,
            ["k1", "", "k3"],
            "positional lists keep empty entries"
        );
        assert_eq!(settings.core.log_format, LogFormat::Json);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = Settings::from_sources(env(&[("PORT", "eighty")]), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "PORT: expected a whole number, got `eighty`"
        );
        let err = Settings::from_sources(env(&[("PORT", "70000")]), None).unwrap_err();
        assert!(err.to_string().starts_with("PORT: "), "{err}");
        let err = Settings::from_sources(env(&[("VECTOR_DB", "milvus")]), None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("VECTOR_DB: unknown variant `milvus`"),
            "{err}"
        );
        let err = Settings::from_sources(env(&[("DEFAULT_USER_ROLE", "admin")]), None).unwrap_err();
        assert!(err.to_string().contains("DEFAULT_USER_ROLE"), "{err}");
        let err = Settings::from_sources(env(&[("JWT_EXPIRES_IN", "forever")]), None).unwrap_err();
        assert!(err.to_string().starts_with("JWT_EXPIRES_IN: "), "{err}");
    }

    #[test]
    fn file_values_are_overridden_by_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hearth.toml");
        std::fs::write(
            &path,
            "port = 7000\nLOG_LEVEL = \"debug\"\nenable_signup = false\n",
        )
        .unwrap();
        let settings = Settings::from_sources(env(&[("PORT", "7001")]), Some(&path)).unwrap();
        assert_eq!(settings.core.port, 7001);
        assert_eq!(settings.core.log_level, "debug");
        assert!(!settings.security.enable_signup);

        let named = Settings::from_sources(env(&[(CONFIG_FILE_VAR, path.to_str().unwrap())]), None)
            .unwrap();
        assert_eq!(named.core.port, 7000);
    }

    #[test]
    fn unknown_or_mistyped_file_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hearth.toml");
        std::fs::write(&path, "DATABSE_URL = \"postgres://x\"\n").unwrap();
        let err = Settings::from_sources(env(&[]), Some(&path)).unwrap_err();
        assert!(
            err.to_string().contains("unknown setting(s) DATABSE_URL"),
            "{err}"
        );

        std::fs::write(&path, "port = \"eighty\"\n").unwrap();
        let err = Settings::from_sources(env(&[]), Some(&path)).unwrap_err();
        assert!(err.to_string().contains("key port"), "{err}");
    }

    #[test]
    fn empty_environment_values_mean_unset() {
        let settings =
            Settings::from_sources(env(&[("PORT", ""), ("DATABASE_URL", " ")]), None).unwrap();
        assert_eq!(settings.core.port, 8080);
        assert!(settings.database.database_url.is_none());
    }

    #[test]
    fn database_urls_choose_the_backend_and_unknown_schemes_are_refused() {
        let target = |url: &str| {
            Settings::from_sources(env(&[("DATABASE_URL", url)]), None)
                .unwrap()
                .database_target()
        };
        assert!(matches!(
            target("postgresql://u@h/db").unwrap(),
            DatabaseTarget::Postgres { .. }
        ));
        assert_eq!(
            target("mariadb://root@h:3306/db").unwrap(),
            DatabaseTarget::MySql {
                url: Secret::new("mysql://root@h:3306/db")
            }
        );
        assert_eq!(
            target("sqlite:///var/lib/hearth/h.db?mode=rwc").unwrap(),
            DatabaseTarget::Sqlite {
                path: PathBuf::from("/var/lib/hearth/h.db")
            }
        );
        let err = target("postgress://u@h/db").unwrap_err();
        assert!(
            err.to_string().contains("unsupported scheme `postgress`"),
            "{err}"
        );
        assert!(target("sqlite::memory:").is_err());
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let settings = Settings::from_sources(
            env(&[
                ("HEARTH_SECRET_KEY", "super-secret-value"),
                ("DATABASE_URL", "postgres://u:pw@h/db"),
            ]),
            None,
        )
        .unwrap();
        let debug = format!("{settings:?}");
        assert!(!debug.contains("super-secret-value"));
        assert!(!debug.contains("pw@h"));
        assert!(debug.contains("[redacted]"));
    }
}
