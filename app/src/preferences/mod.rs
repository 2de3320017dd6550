//! Per-browser preferences: the display language.
//!
//! The language follows the browser's Accept-Language until the user picks one; the pick is kept
//! in a cookie that only the server reads (the page's `<html lang>` tells the browser).
use crate::error::AppError;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_use::UseLocalesOptions;

/// The cookie holding the language the user picked.
pub const LANGUAGE_COOKIE: &str = "bc_lang";

/// Tells the i18n context, on the server, which languages this request prefers: the picked one
/// if there is a valid cookie, otherwise the browser's Accept-Language header.
pub fn locale_options() -> UseLocalesOptions {
    UseLocalesOptions::default().ssr_lang_header_getter(preferred_languages)
}

/// On the server, makes the page's language context before `I18nContextProvider` would (it
/// then uses this one). The context comes with an effect that keeps a language cookie in step;
/// on the server that effect is a task that may first run after the page was sent, when the
/// page's signals are gone (a panic in the log, seen under load). Here it is made under an
/// owner that is paused at once, so on the server it never runs; the browser makes its own.
#[cfg(feature = "ssr")]
pub fn provide_server_language() {
    use leptos::reactive::owner::Owner;
    use leptos_i18n::context::{init_i18n_context_with_options, I18nContextOptions};
    let Some(page) = Owner::current() else {
        return;
    };
    let owner = page.child();
    let i18n = owner.with(|| {
        init_i18n_context_with_options::<Locale>(I18nContextOptions {
            enable_cookie: false,
            ssr_lang_header_getter: locale_options(),
            ..Default::default()
        })
    });
    owner.pause();
    provide_context(i18n);
    // The child owner holds the language signal: the page keeps it as long as the page lives.
    let _ = StoredValue::new(owner);
}

#[cfg(feature = "ssr")]
fn preferred_languages() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    picked_language(&parts.headers)
        .map(|locale| locale.as_str().to_string())
        .or_else(|| {
            parts
                .headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        })
}

/// The language the user picked, when the cookie names one we speak.
#[cfg(feature = "ssr")]
fn picked_language(headers: &http::HeaderMap) -> Option<Locale> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|cookies| cookie_value(cookies, LANGUAGE_COOKIE))
        .and_then(|code| code.parse::<Locale>().ok())
}

#[cfg(not(feature = "ssr"))]
fn preferred_languages() -> Option<String> {
    None
}

/// The language of a plain request (an export, a download) for its error text: the picked one
/// when the cookie names one, otherwise the first of Accept-Language that we speak.
#[cfg(feature = "ssr")]
pub fn request_locale(headers: &http::HeaderMap) -> Locale {
    picked_language(headers).unwrap_or_else(|| {
        headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .split(',')
            .map(|tag| {
                tag.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_lowercase()
            })
            .find_map(|tag| {
                if tag.starts_with("zh") {
                    Some(Locale::zh)
                } else if tag.starts_with("en") {
                    Some(Locale::en)
                } else {
                    None
                }
            })
            .unwrap_or(Locale::en)
    })
}

/// The value of cookie `name` in a `Cookie:` header.
pub fn cookie_value(header: &str, name: &str) -> Option<String> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.trim().to_string())
    })
}

/// Keeps the user's language choice and sends them back to the page they were on.
/// Returns the language now in force.
#[server(endpoint = "preferences/language")]
pub async fn set_language(language: String, return_to: String) -> Result<String, AppError> {
    let locale: Locale = language
        .parse()
        .map_err(|_| AppError::field("language", crate::messages::Msg::ChooseLanguage))?;
    let response = expect_context::<leptos_axum::ResponseOptions>();
    let cookie = format!(
        "{LANGUAGE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
        locale.as_str()
    );
    let value = http::HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal)?;
    response.append_header(http::header::SET_COOKIE, value);
    leptos_axum::redirect(&local_path(&return_to));
    Ok(locale.as_str().to_string())
}

/// `path` if it is a path on this site, otherwise the home page: never redirect elsewhere.
pub fn local_path(path: &str) -> String {
    let is_local = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control());
    if is_local {
        path.to_string()
    } else {
        "/".to_string()
    }
}

/// A one-button form that switches to the other language.
#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SetLanguage>::new();
    let location = leptos_router::hooks::use_location();
    let return_to = move || {
        // The router's `search` has no leading "?".
        let search = location.search.get();
        if search.is_empty() {
            location.pathname.get()
        } else {
            format!("{}?{search}", location.pathname.get())
        }
    };
    let other = move || match i18n.get_locale() {
        Locale::en => Locale::zh,
        Locale::zh => Locale::en,
    };
    Effect::new(move |_| {
        if let Some(Ok(code)) = action.value().get() {
            if let Ok(locale) = code.parse::<Locale>() {
                i18n.set_locale(locale);
            }
        }
    });
    view! {
        <ActionForm action attr:class="language-switch">
            <input type="hidden" name="language" value=move || other().as_str() />
            <input type="hidden" name="return_to" value=return_to />
            <button type="submit" class="link-button" lang=move || other().as_str()>
                <span class="visually-hidden">{t!(i18n, language)}": "</span>
                {t!(i18n, switch_to)}
            </button>
        </ActionForm>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_redirect_targets() {
        assert_eq!(local_path("/bills?month=2026-10"), "/bills?month=2026-10");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path(""), "/");
        assert_eq!(local_path("/a\r\nSet-Cookie: x=1"), "/");
    }

    #[test]
    fn finds_a_cookie_among_several() {
        assert_eq!(
            cookie_value("a=1; bc_lang=zh; b=2", LANGUAGE_COOKIE).as_deref(),
            Some("zh")
        );
        assert_eq!(cookie_value("bc_language=zh", LANGUAGE_COOKIE), None);
        assert_eq!(cookie_value("", LANGUAGE_COOKIE), None);
    }
}
