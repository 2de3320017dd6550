//! The CSV export of a list, as a plain route: the signed-in account's rows for the list's query
//! (the filters in the address, as on the page), streamed page by page through the one CSV
//! writer. Every list with a CSV link is one line of its area's `routes()`, naming what it needs.
use crate::accounts::caller::Caller;
use crate::accounts::session::CallerSession;
use crate::error::AppError;
use crate::state::AppState;
use crate::team::model::Permission;
use crate::ui::{ListQuery, Page};
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, MethodRouter};
use std::future::Future;

/// What a list's export asks of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// A member of the billing account whose role allows this; the list gets the account's id.
    Account(Permission),
    /// Anyone signed in; the list gets the user's id and checks more itself (an operator list).
    User,
}

/// `GET` of a list's CSV: `page` reads one page of the list for the account (or user) that
/// `need` yields; `row` makes a row into its fields.
pub fn csv_list<Q, T, F, Fut>(
    filename: &'static str,
    header: &'static [&'static str],
    need: Need,
    page: F,
    row: fn(&T) -> Vec<String>,
) -> MethodRouter<AppState>
where
    Q: ListQuery,
    T: Send + 'static,
    F: Fn(AppState, i64, Q) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>, AppError>> + Send + 'static,
{
    get(
        move |State(state): State<AppState>,
              caller: Result<CallerSession, AppError>,
              headers: HeaderMap,
              RawQuery(query): RawQuery| {
            let page = page.clone();
            async move {
                // Read as the page reads it, so the same address lists the same rows.
                let query = Q::from_query_string(query.as_deref().unwrap_or_default());
                let subject = caller.and_then(|session| match need {
                    Need::Account(permission) => {
                        let caller = Caller::from_session(session)?;
                        caller.may(permission)?;
                        Ok(caller.account_id)
                    }
                    Need::User => Ok(session.user_id),
                });
                let answer = match subject {
                    Ok(subject) => {
                        export(state, subject, query, (filename, header), page, row).await
                    }
                    Err(error) => Err(error),
                };
                answer.unwrap_or_else(|error| {
                    error.response_in(crate::preferences::request_locale(&headers))
                })
            }
        },
    )
}

async fn export<Q, T, F, Fut>(
    state: AppState,
    account: i64,
    query: Q,
    (filename, header): (&str, &[&str]),
    page: F,
    row: fn(&T) -> Vec<String>,
) -> Result<Response, AppError>
where
    Q: ListQuery,
    T: Send + 'static,
    F: Fn(AppState, i64, Q) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>, AppError>> + Send + 'static,
{
    crate::server::csv::export(filename, header, move |before| {
        let (state, query, page) = (state.clone(), query.at(before), page.clone());
        async move {
            let found = page(state, account, query).await?;
            Ok((found.rows.iter().map(row).collect(), found.next))
        }
    })
    .await
}
