//! `fitreg account create`: make an account of any role from a script. The password comes from
//! `FITREG_ACCOUNT_PASSWORD` or the first line of standard input, never from a flag (flags show up
//! in process lists and shell history).

use std::io::BufRead;

use anyhow::{Context, bail};
use clap::Subcommand;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    auth::{Caller, PasswordHasher},
    config::Config,
    domain::{
        FieldViolation,
        account::{Email, Role, Username},
    },
    entities::street,
    services::accounts::{self, NewAccount},
};

/// Environment variable the new account's password is read from.
pub const PASSWORD_ENV: &str = "FITREG_ACCOUNT_PASSWORD";

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account; its password is read from FITREG_ACCOUNT_PASSWORD or standard input.
    Create {
        #[arg(long)]
        username: String,
        /// bureau_admin, street_officer, member or auditor.
        #[arg(long)]
        role: Role,
        /// The street code of a street_officer, e.g. 450203001.
        #[arg(long, value_name = "CODE")]
        street: Option<String>,
        /// The person id of a member.
        #[arg(long)]
        person: Option<i32>,
        #[arg(long)]
        email: Option<String>,
    },
}

impl AccountCommand {
    pub async fn run(self, config: &Config) -> anyhow::Result<()> {
        match self {
            AccountCommand::Create {
                username,
                role,
                street,
                person,
                email,
            } => {
                let invalid = |v: FieldViolation| anyhow::anyhow!("{}: {}", v.field, v.message);
                let username = Username::parse(&username).map_err(invalid)?;
                let email = email
                    .as_deref()
                    .map(Email::parse)
                    .transpose()
                    .map_err(invalid)?;
                let password = read_password()?;
                let db = super::open_prepared(&config.database_url).await?;
                let street_id = match street {
                    Some(code) => Some(
                        street::Entity::find()
                            .filter(street::Column::Code.eq(code.as_str()))
                            .one(&db)
                            .await?
                            .with_context(|| format!("no street has code {code}"))?
                            .id,
                    ),
                    None => None,
                };
                let new = NewAccount {
                    username,
                    role,
                    email,
                    street_id,
                    person_id: person,
                    password: Some(password),
                };
                let created = accounts::create(
                    &db,
                    &PasswordHasher::default(),
                    &Caller::system(),
                    new,
                    &config.public_url,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                println!(
                    "created account {} (id {}, role {})",
                    created.username,
                    created.id,
                    created.role.as_str()
                );
                Ok(())
            }
        }
    }
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password: set {PASSWORD_ENV} or write it on standard input");
    }
    Ok(password)
}
