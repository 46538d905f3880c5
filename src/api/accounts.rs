//! `/accounts`: who can log in, with which role and scope.

use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
    types::MaybeUndefined,
};

use super::{
    ApiTags, Page, auth::BearerAuth, expected_version, json::JsonBody, pagination::page_request,
};
use crate::{
    app::AppState,
    domain::{
        Violations,
        account::{Email, Role, Username},
    },
    entities::account,
    error::AppError,
    services::accounts::{self, AccountChanges, AccountFilter, NewAccount},
};

pub struct AccountsApi {
    state: AppState,
}

impl AccountsApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

/// An account. Its password hash and tokens never leave the server.
#[derive(Debug, Object)]
pub struct Account {
    pub id: i32,
    pub username: String,
    pub role: Role,
    pub email: Option<String>,
    /// The street of a `street_officer`.
    pub street_id: Option<i32>,
    /// The person of a `member`.
    pub person_id: Option<i32>,
    /// A disabled account cannot log in and its sessions have ended.
    pub disabled: bool,
    /// Whether a password is set; an invited account has none until it is activated.
    pub activated: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub password_changed_at: Option<DateTime<Utc>>,
    /// Optimistic-lock version, sent back with updates.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<account::Model> for Account {
    fn from(a: account::Model) -> Self {
        Self {
            id: a.id,
            username: a.username,
            role: a.role,
            email: a.email,
            street_id: a.street_id,
            person_id: a.person_id,
            disabled: a.disabled,
            activated: a.password_hash.is_some(),
            last_login_at: a.last_login_at,
            password_changed_at: a.password_changed_at,
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A new account.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct NewAccountRequest {
    /// 3 to 64 characters: letters, digits, `.`, `_`, `-`; stored lower-case.
    #[oai(validator(max_length = 256))]
    pub username: String,
    pub role: Role,
    #[oai(validator(max_length = 254))]
    pub email: Option<String>,
    /// Required for a `street_officer`.
    pub street_id: Option<i32>,
    /// Required for a `member`.
    pub person_id: Option<i32>,
    /// At least 10 characters, not the username. Without one the account waits for activation.
    #[oai(validator(max_length = 1024))]
    pub password: Option<String>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct AccountPatch {
    /// Disabling ends the account's sessions at once.
    pub disabled: Option<bool>,
    /// `null` removes the address.
    #[oai(validator(max_length = 254))]
    pub email: MaybeUndefined<String>,
    /// Bureau only.
    pub role: Option<Role>,
    /// Bureau only.
    pub street_id: MaybeUndefined<i32>,
    /// The version read; a stale one gets 409. `If-Match` works too.
    pub version: Option<i64>,
}

#[derive(ApiResponse)]
pub enum CreatedAccount {
    /// The account was created.
    #[oai(status = 201)]
    Created(Json<Account>),
}

#[derive(ApiResponse)]
pub enum InvitationSent {
    /// A new activation link is on its way; the earlier one no longer works.
    #[oai(status = 202)]
    Accepted,
}

#[OpenApi(tag = "ApiTags::Accounts")]
impl AccountsApi {
    /// Create an account
    ///
    /// The bureau creates accounts of any role; a street officer creates `member` accounts for the
    /// people of its street.
    #[oai(path = "/accounts", method = "post", operation_id = "create_account")]
    async fn create(
        &self,
        auth: BearerAuth,
        body: JsonBody<NewAccountRequest>,
    ) -> Result<CreatedAccount, AppError> {
        let body = body.0;
        // Parsed here, at the edge: the service sees a checked username and address.
        let mut violations = Violations::default();
        let username = violations.check(Username::parse(&body.username));
        let email = violations.check_some(body.email.as_deref(), Email::parse);
        let (Some(username), Some(email)) = (username, email) else {
            return Err(violations.into());
        };
        let new = NewAccount {
            username,
            role: body.role,
            email,
            street_id: body.street_id,
            person_id: body.person_id,
            password: body.password,
        };
        let created = accounts::create(
            &self.state.db,
            &self.state.hasher,
            &auth.0,
            new,
            &self.state.config.public_url,
        )
        .await?;
        Ok(CreatedAccount::Created(Json(created.into())))
    }

    /// List accounts
    ///
    /// The bureau and auditors see every account, an officer those of its street, a member its own.
    #[oai(path = "/accounts", method = "get", operation_id = "list_accounts")]
    async fn list(
        &self,
        auth: BearerAuth,
        /// Only accounts with this role.
        role: Query<Option<Role>>,
        /// Only accounts of this street.
        street_id: Query<Option<i32>>,
        /// Only disabled (`true`) or enabled (`false`) accounts.
        disabled: Query<Option<bool>>,
        /// Part of the username or e-mail address.
        #[oai(validator(max_length = 100))]
        q: Query<Option<String>>,
        /// Page number, from 1 to 100000.
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
        page: Query<Option<u64>>,
        /// Items per page, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        per_page: Query<Option<u64>>,
    ) -> Result<Json<Page<Account>>, AppError> {
        let filter = AccountFilter {
            role: role.0,
            street_id: street_id.0,
            disabled: disabled.0,
            q: q.0,
        };
        let paged = accounts::list(
            &self.state.db,
            &auth.0,
            &filter,
            page_request(page.0, per_page.0),
        )
        .await?;
        Ok(Json(Page::from_paged(paged, Account::from)))
    }

    /// Get an account
    #[oai(path = "/accounts/:id", method = "get", operation_id = "get_account")]
    async fn get(
        &self,
        auth: BearerAuth,
        /// The account's id.
        id: Path<i32>,
    ) -> Result<Json<Account>, AppError> {
        Ok(Json(
            accounts::get(&self.state.db, &auth.0, id.0).await?.into(),
        ))
    }

    /// Change an account
    ///
    /// The bureau changes any field; an officer may disable or re-address the member accounts of its
    /// street. The last active `bureau_admin` cannot be disabled or demoted.
    #[oai(
        path = "/accounts/:id",
        method = "patch",
        operation_id = "update_account"
    )]
    async fn update(
        &self,
        auth: BearerAuth,
        /// The account's id.
        id: Path<i32>,
        /// The version read, as an alternative to the body's `version`.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: JsonBody<AccountPatch>,
    ) -> Result<Json<Account>, AppError> {
        let body = body.0;
        let email = match maybe(body.email) {
            Some(Some(raw)) => Some(Some(Email::parse(&raw).map_err(AppError::of)?)),
            Some(None) => Some(None),
            None => None,
        };
        let changes = AccountChanges {
            disabled: body.disabled,
            email,
            role: body.role,
            street_id: maybe(body.street_id),
            expected_version: expected_version(if_match.0.as_deref(), body.version)?,
        };
        Ok(Json(
            accounts::update(&self.state.db, &auth.0, id.0, changes)
                .await?
                .into(),
        ))
    }

    /// Send an account's invitation again
    ///
    /// For an account that waits for activation (created without a password): mails a new
    /// one-time activation link, valid 7 days, to the account's address; the earlier link stops
    /// working. The bureau invites any account again, an officer the member accounts of its
    /// street. An activated or disabled account is a 409, one without an address a 422.
    #[oai(
        path = "/accounts/:id/invitation",
        method = "post",
        operation_id = "resend_invitation"
    )]
    async fn resend_invitation(
        &self,
        auth: BearerAuth,
        /// The account's id.
        id: Path<i32>,
    ) -> Result<InvitationSent, AppError> {
        accounts::resend_invitation(&self.state.db, &auth.0, id.0, &self.state.config.public_url)
            .await?;
        Ok(InvitationSent::Accepted)
    }
}

/// Absent -> leave alone, `null` -> clear, a value -> set.
pub fn maybe<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}
