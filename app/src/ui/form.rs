use crate::error::AppError;
use leptos::prelude::*;

/// The error of the last submission of a form, as a signal (from the action's value: after a
/// hydrated submit, or after a plain form post that came back with `__err` in the address).
pub type FormResult = Signal<Option<Result<(), AppError>>>;

/// How many submissions of a form have succeeded. Key a form's data on this rather than on the
/// action's version: reloading after a failed submission would rebuild the form and wipe what
/// the user is correcting.
pub fn successes(result: FormResult) -> Signal<usize> {
    let count = RwSignal::new(0usize);
    Effect::new(move |_| {
        if let Some(Ok(())) = result.get() {
            count.update(|n| *n += 1);
        }
    });
    count.into()
}

/// A labelled input (or, with `kind="textarea"`, a text area) with its error beside it.
#[component]
pub fn Field(
    #[prop(into)] label: Signal<String>,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: Signal<String>,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] hint: Option<Signal<String>>,
    /// Set where several forms on one page have a field of the same name, so ids stay unique.
    #[prop(optional)]
    form: &'static str,
    result: FormResult,
) -> impl IntoView {
    let id = if form.is_empty() {
        format!("field-{name}")
    } else {
        format!("field-{form}-{name}")
    };
    let error_id = format!("{id}-error");
    let i18n = crate::i18n::use_i18n();
    let error = Signal::derive(move || {
        result
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.message_for(name))
            .map(|message| message.text(i18n.get_locale()))
    });
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            {if kind == "textarea" {
                view! {
                    <textarea
                        id=id
                        name=name
                        rows="4"
                        prop:value=value
                        required=required
                        aria-invalid=move || error.get().is_some().then_some("true")
                        aria-describedby=error_id.clone()
                    >
                        {value.get_untracked()}
                    </textarea>
                }
                    .into_any()
            } else {
                view! {
                    <input
                        id=id
                        name=name
                        type=kind
                        prop:value=value
                        value=value
                        autocomplete=autocomplete
                        required=required
                        aria-invalid=move || error.get().is_some().then_some("true")
                        aria-describedby=error_id.clone()
                    />
                }
                    .into_any()
            }}
            {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
        </div>
    }
}

/// A message for errors that belong to no field of the form (`fields` are those it shows).
#[component]
pub fn FormError(result: FormResult, fields: &'static [&'static str]) -> impl IntoView {
    let i18n = crate::i18n::use_i18n();
    let message = move || match result.get() {
        Some(Err(error)) if error.field_name().is_some_and(|f| fields.contains(&f)) => None,
        Some(Err(error)) => Some(error.text(i18n.get_locale())),
        Some(Ok(())) | None => None,
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="form-error" role="alert">{message}</p>
        </Show>
    }
}

/// `text` made safe as one value of a query string.
pub fn query_value(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(super::query_value("a+b@c.com"), "a%2Bb%40c.com");
        assert_eq!(super::query_value("+86 138"), "%2B86%20138");
    }
}
