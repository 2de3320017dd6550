use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

/// Shows a server resource: a loading line while it first loads, the previous content while it
/// reloads, the error panel when it failed, and `children` with the value otherwise.
#[component]
pub fn DataState<T, V, F>(resource: Resource<Result<T, AppError>>, children: F) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let i18n = use_i18n();
    let children = StoredValue::new(children);
    view! {
        <Transition fallback=move || view! { <p class="loading" role="status">{t!(i18n, loading)}</p> }>
            {move || Suspend::new(async move {
                match resource.await {
                    Ok(value) => children.with_value(|render| render(value)).into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What a page shows in place of data that could not be loaded.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    if error == AppError::Unauthorized {
        return view! {
            <div class="error-panel" role="alert">
                <p>{t!(i18n, sign_in_needed)}</p>
                <a href="/sign-in" class="button">{t!(i18n, nav_sign_in)}</a>
            </div>
        }
        .into_any();
    }
    // An internal failure or a lost connection gets the panel's own words.
    let detail = (!matches!(error, AppError::Internal | AppError::Transport(_)))
        .then(|| error.text(i18n.get_locale()));
    view! {
        <div class="error-panel" role="alert">
            <h2>{t!(i18n, error_title)}</h2>
            <p>{detail.unwrap_or_else(|| t_string!(i18n, error_body).to_string())}</p>
            // A plain link reloads the page, which retries with or without JavaScript.
            <a href="" class="button secondary">{t!(i18n, retry)}</a>
        </div>
    }
    .into_any()
}
