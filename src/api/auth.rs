//! Bearer-token authentication and `/auth/*`: login, logout, me, password change.

use chrono::{DateTime, Utc};
use poem::Request;
use poem_openapi::{ApiResponse, Object, OpenApi, SecurityScheme, auth::Bearer, payload::Json};

use super::{ApiTags, accounts::Account, json::JsonBody, middleware::RequestId};
use crate::{
    app::AppState,
    auth::Caller,
    entities::account,
    error::AppError,
    services::{account_tokens, auth as service},
};

/// `Authorization: Bearer <token>` from `POST /auth/login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "authenticate")]
pub struct BearerAuth(pub Caller);

// The same scheme (one entry in the document), for `/auth/me`: the caller with the account read
// in the same query as the session, so the answer needs no second read.
/// `Authorization: Bearer <token>` from `POST /auth/login`.
#[derive(SecurityScheme)]
#[oai(rename = "BearerAuth", ty = "bearer", checker = "authenticate_account")]
pub struct BearerAccount(pub (Caller, account::Model));

async fn authenticate_account(
    req: &Request,
    bearer: Bearer,
) -> poem::Result<(Caller, account::Model)> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| AppError::Internal("application state missing".into()))?;
    Ok(service::authenticate_account(&state.db, &bearer.token, request_id(req)).await?)
}

async fn authenticate(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| AppError::Internal("application state missing".into()))?;
    Ok(service::authenticate(&state.db, &bearer.token, request_id(req)).await?)
}

pub fn request_id(req: &Request) -> Option<String> {
    req.extensions().get::<RequestId>().map(|id| id.0.clone())
}

pub struct AuthApi {
    state: AppState,
}

impl AuthApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

/// Credentials for a login.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct LoginRequest {
    #[oai(validator(max_length = 256))]
    pub username: String,
    #[oai(validator(max_length = 1024))]
    pub password: String,
}

/// A new session.
#[derive(Object)]
pub struct LoginResponse {
    /// The bearer token: send it as `Authorization: Bearer <token>`. It is shown only here.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    pub account: Account,
}

/// A password change.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct PasswordChange {
    #[oai(validator(max_length = 1024))]
    pub current_password: String,
    /// At least 10 characters, not the username.
    #[oai(validator(max_length = 1024))]
    pub new_password: String,
}

/// A one-time token from a mailed link, and the password to set.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct TokenPassword {
    /// The `token` parameter of the link.
    #[oai(validator(max_length = 128))]
    pub token: String,
    /// At least 10 characters, not the username.
    #[oai(validator(max_length = 1024))]
    pub password: String,
}

/// A password-reset confirmation.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct ResetConfirmation {
    /// The `token` parameter of the link.
    #[oai(validator(max_length = 128))]
    pub token: String,
    /// At least 10 characters, not the username.
    #[oai(validator(max_length = 1024))]
    pub new_password: String,
}

/// Who forgot their password.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct ResetRequest {
    #[oai(validator(max_length = 254))]
    pub email: String,
}

#[derive(ApiResponse)]
pub enum Accepted {
    /// Accepted: if an account has this address, a link is on its way.
    #[oai(status = 202)]
    Accepted,
}

#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthApi {
    /// Log in
    ///
    /// Exchanges a username and password for a bearer token. A wrong pair gets 401 whether or
    /// not the username exists; after 5 failures for one username within 15 minutes the username
    /// is locked for 15 minutes (429 with `Retry-After`).
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        req: &Request,
        body: JsonBody<LoginRequest>,
    ) -> Result<Json<LoginResponse>, AppError> {
        let login = service::login(
            &self.state.db,
            &self.state.hasher,
            &body.username,
            &body.password,
            service::Channel::Api,
            self.state.config.token_ttl,
            request_id(req),
        )
        .await?;
        Ok(Json(LoginResponse {
            token: login.token,
            expires_at: login.expires_at,
            account: login.account.into(),
        }))
    }

    /// Log out
    ///
    /// Ends this session: its token stops working at once.
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(&self, auth: BearerAuth) -> Result<NoContent, AppError> {
        service::logout(&self.state.db, &auth.0).await?;
        Ok(NoContent::Done)
    }

    /// The caller's account
    #[oai(path = "/auth/me", method = "get", operation_id = "get_me")]
    async fn me(&self, auth: BearerAccount) -> Result<Json<Account>, AppError> {
        let (_, account) = auth.0;
        Ok(Json(account.into()))
    }

    /// Change the password
    ///
    /// Needs the current password. Every other session of the account ends; this one stays.
    #[oai(
        path = "/auth/password",
        method = "post",
        operation_id = "change_password"
    )]
    async fn change_password(
        &self,
        auth: BearerAuth,
        body: JsonBody<PasswordChange>,
    ) -> Result<NoContent, AppError> {
        service::change_password(
            &self.state.db,
            &self.state.hasher,
            &auth.0,
            &body.current_password,
            &body.new_password,
        )
        .await?;
        Ok(NoContent::Done)
    }

    /// Activate an invited account
    ///
    /// Sets the first password with the token of the invitation mail's link. A token works once
    /// and for 7 days.
    #[oai(
        path = "/auth/activate",
        method = "post",
        operation_id = "activate_account"
    )]
    async fn activate(
        &self,
        req: &Request,
        body: JsonBody<TokenPassword>,
    ) -> Result<NoContent, AppError> {
        account_tokens::activate(
            &self.state.db,
            &self.state.hasher,
            &body.token,
            &body.password,
            request_id(req),
        )
        .await?;
        Ok(NoContent::Done)
    }

    /// Ask for a password reset
    ///
    /// Answers 202 whether or not the address is known. If an enabled account has this address,
    /// it gets a mail with a link that works once, for 1 hour. One address receives at most 3
    /// such mails an hour (further requests are answered alike and send nothing); one client may
    /// ask 10 times in 15 minutes, then gets 429 with `Retry-After`.
    #[oai(
        path = "/auth/password-reset",
        method = "post",
        operation_id = "request_password_reset"
    )]
    async fn request_reset(
        &self,
        req: &Request,
        body: JsonBody<ResetRequest>,
    ) -> Result<Accepted, AppError> {
        let client = req
            .remote_addr()
            .as_socket_addr()
            .map(|a| a.ip().to_string());
        account_tokens::request_reset(
            &self.state.db,
            &body.email,
            client.as_deref(),
            &self.state.config.public_url,
            request_id(req),
        )
        .await?;
        Ok(Accepted::Accepted)
    }

    /// Set a new password from a reset link
    ///
    /// Every session of the account ends.
    #[oai(
        path = "/auth/password-reset/confirm",
        method = "post",
        operation_id = "confirm_password_reset"
    )]
    async fn confirm_reset(
        &self,
        req: &Request,
        body: JsonBody<ResetConfirmation>,
    ) -> Result<NoContent, AppError> {
        account_tokens::confirm_reset(
            &self.state.db,
            &self.state.hasher,
            &body.token,
            &body.new_password,
            request_id(req),
        )
        .await?;
        Ok(NoContent::Done)
    }
}
