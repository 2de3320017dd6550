//! One error type for every server function.
//!
//! User errors carry a message the form shows (and, for field errors, the field it belongs to);
//! database and internal failures are logged on the server and reach the browser only as a
//! generic message, never as the driver's text.
use crate::i18n::Locale;
use crate::messages::Msg;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Bad input in one form field; nothing was changed.
    #[error("{message}")]
    Field { field: String, message: Msg },
    /// A request the user can fix or retry, with a message for them.
    #[error("{0}")]
    Rejected(Msg),
    /// The caller is not signed in, or not allowed to touch this.
    #[error("please sign in to continue")]
    Unauthorized,
    #[error("not found")]
    NotFound,
    /// The caller is signed in but their role or the thing's owner does not allow this.
    #[error("{0}")]
    Forbidden(Msg),
    /// The request clashes with what is already there (a second use of a one-time thing).
    #[error("{0}")]
    Conflict(Msg),
    /// Too many tries: `message` for `field`, and when to try again.
    #[error("{message}")]
    Throttled {
        field: String,
        message: Msg,
        retry_after_secs: i64,
    },
    /// The server is saturated for a moment (password hashing); try again shortly.
    #[error("the server is busy; please try again in a moment")]
    Busy,
    /// Something failed on our side; details are in the server log only.
    #[error("something went wrong on our side; please try again")]
    Internal,
    /// The request did not reach the server function or its answer could not be read.
    #[error("the server could not be reached: {0}")]
    Transport(String),
}

impl AppError {
    pub fn field(field: &str, message: impl Into<Msg>) -> Self {
        Self::Field {
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub fn throttled(field: &str, message: impl Into<Msg>, retry_after_secs: i64) -> Self {
        Self::Throttled {
            field: field.to_string(),
            message: message.into(),
            retry_after_secs,
        }
    }

    /// The message for `field`, when this error is about that field.
    pub fn message_for(&self, field: &str) -> Option<Msg> {
        match self {
            Self::Field { field: f, message }
            | Self::Throttled {
                field: f, message, ..
            } if f == field => Some(message.clone()),
            _ => None,
        }
    }

    /// What the user reads, in `locale`: the server's message, or the words for a failure that
    /// carries none.
    pub fn text(&self, locale: Locale) -> String {
        let message = match self {
            Self::Field { message, .. }
            | Self::Throttled { message, .. }
            | Self::Rejected(message)
            | Self::Forbidden(message)
            | Self::Conflict(message) => message.clone(),
            Self::Unauthorized => Msg::SignInFirst,
            Self::NotFound => Msg::NotFound,
            Self::Busy => Msg::Busy,
            Self::Internal => Msg::Internal,
            Self::Transport(_) => Msg::Unreachable,
        };
        message.text(locale)
    }

    /// The form field this error belongs to, if any.
    pub fn field_name(&self) -> Option<&str> {
        match self {
            Self::Field { field, .. } | Self::Throttled { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The HTTP status this error answers with: 4xx for what the caller can fix, 5xx only for
    /// what failed on our side.
    pub fn status(&self) -> u16 {
        match self {
            Self::Field { .. } => 422,
            Self::Rejected(_) => 400,
            Self::Unauthorized => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound => 404,
            Self::Conflict(_) => 409,
            Self::Throttled { .. } => 429,
            Self::Internal => 500,
            Self::Busy => 503,
            // On the server this is a request that could not be decoded.
            Self::Transport(_) => 400,
        }
    }

    /// Seconds to wait before trying again, for `Retry-After`.
    pub fn retry_after(&self) -> Option<i64> {
        match self {
            Self::Throttled {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            Self::Busy => Some(2),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

/// For plain routes (exports, downloads): the status of [`AppError::status`], `Retry-After`
/// where it applies, and the message as text (in English; [`AppError::response_in`] answers in
/// the reader's language).
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        self.response_in(Locale::en)
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// The plain-route answer with the message in `locale`.
    pub fn response_in(self, locale: Locale) -> axum::response::Response {
        use axum::response::IntoResponse;
        let status = axum::http::StatusCode::from_u16(self.status())
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        let headers = [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )];
        let mut response = (status, headers, self.text(locale)).into_response();
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "database error");
        Self::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_are_found_by_field_name() {
        let error = AppError::field("amount", Msg::EnterAmount);
        assert_eq!(error.message_for("amount"), Some(Msg::EnterAmount));
        assert_eq!(error.message_for("currency"), None);
        assert_eq!(AppError::Internal.message_for("amount"), None);
    }

    #[test]
    fn internal_errors_hide_details() {
        assert_eq!(
            AppError::Internal.to_string(),
            "something went wrong on our side; please try again"
        );
    }
}
