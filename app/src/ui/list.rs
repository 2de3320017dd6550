//! The list kit: every filtered, paged, exportable list (Income & expenditure, vouchers, prepaid
//! cards, recharge orders, the operator's lists, and the areas to come) is made of these parts.
//!
//! - a [`ListQuery`]: the list's filters and place, typed, read from and written to the address
//!   bar, so the filter form is a plain GET form and every page of every filter is a link;
//! - [`Page`]: one keyset page, newest first, with the cursor of the next;
//! - [`FilterForm`], [`Pager`] and the CSV link in the form, which keeps the filters;
//! - on the server, `crate::server::csv::export` streams the same query's rows as CSV.
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::hooks::use_location;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

/// One page of a list, newest first; `next` is the cursor of the following (older) page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub next: Option<i64>,
}

impl<T> Page<T> {
    /// A page made of up to `limit + 1` rows as fetched: the extra row only tells that there
    /// is more, and the cursor is the key of the last row kept.
    pub fn from_rows(mut rows: Vec<T>, limit: usize, key: impl Fn(&T) -> i64) -> Self {
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(key)
        } else {
            None
        };
        Self { rows, next }
    }

    /// The same page with each row made into another (a stored row into what a page shows).
    pub fn map<U>(self, view: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(view).collect(),
            next: self.next,
        }
    }
}

/// A list's filters and place as the address bar holds them. Fields are strings as typed
/// (the server parses and answers a field error for a bad one) and `before`, the cursor.
pub trait ListQuery:
    Clone + Default + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// Where the list is ("/income-expenditure").
    const PATH: &'static str;
    /// Where the same list is exported as CSV, if it is.
    const EXPORT: Option<&'static str> = None;

    /// The cursor: rows older than this key.
    fn before(&self) -> Option<i64>;
    /// The same filters at another place.
    fn at(&self, before: Option<i64>) -> Self;

    /// The query string (without `?`), leaving out empty values.
    fn query_string(&self) -> String {
        let encoded = serde_urlencoded::to_string(self).unwrap_or_default();
        encoded
            .split('&')
            .filter(|pair| !pair.is_empty() && !pair.ends_with('='))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The link to this query's page.
    fn href(&self) -> String {
        with_query(Self::PATH, &self.query_string())
    }

    /// The link to this query's CSV: the same filters, every page.
    fn export_href(&self) -> Option<String> {
        Self::EXPORT.map(|path| with_query(path, &self.at(None).query_string()))
    }

    /// Reads a query string (with or without `?`); what cannot be read is left at its default,
    /// and of a name given twice the first counts (one bad parameter never drops the others).
    fn from_query_string(text: &str) -> Self {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(text.trim_start_matches('?')).unwrap_or_default();
        let mut seen = std::collections::BTreeSet::new();
        let first: Vec<(String, String)> = pairs
            .into_iter()
            .filter(|(name, _)| seen.insert(name.clone()))
            .collect();
        serde_urlencoded::to_string(&first)
            .ok()
            .and_then(|text| serde_urlencoded::from_str(&text).ok())
            .unwrap_or_default()
    }
}

/// Makes a struct with a `before: Option<i64>` cursor field a [`ListQuery`] at `path`, with a
/// CSV export at `export` when given.
#[macro_export]
macro_rules! list_query {
    ($name:ident, path: $path:expr $(, export: $export:expr)?) => {
        impl $crate::ui::ListQuery for $name {
            const PATH: &'static str = $path;
            $(const EXPORT: Option<&'static str> = Some($export);)?

            fn before(&self) -> Option<i64> {
                self.before
            }

            fn at(&self, before: Option<i64>) -> Self {
                Self {
                    before,
                    ..self.clone()
                }
            }
        }
    };
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// For a cursor field: a value that is not a number is no cursor (the first page), rather
/// than a query that cannot be read at all.
pub fn lenient_cursor<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    Ok(text.and_then(|text| text.trim().parse().ok()))
}

/// The list's query from the address bar, following it as the user filters and pages.
pub fn use_list_query<Q: ListQuery>() -> Memo<Q> {
    let location = use_location();
    Memo::new(move |_| Q::from_query_string(&location.search.get()))
}

/// A list's filter form: a plain GET form to the list's own address (works without JavaScript;
/// once hydrated the router turns it into client-side navigation), the fields given as
/// children, an Apply button, and the CSV link of what is shown when the list exports.
#[component]
pub fn FilterForm<Q: ListQuery>(
    query: Memo<Q>,
    children: Children,
    /// `role="search"` for a search box.
    #[prop(optional)]
    role: Option<&'static str>,
    /// The submit button's text, when not "Apply".
    #[prop(optional, into)]
    submit: Option<Signal<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let label = move || {
        submit
            .map(|text| text.get())
            .unwrap_or_else(|| t_string!(i18n, filter_apply).to_string())
    };
    let export = Q::EXPORT.map(|_| {
        view! {
            <a class="button secondary" href=move || query.get().export_href() download>
                {t!(i18n, export_csv)}
            </a>
        }
    });
    view! {
        <form method="get" action=Q::PATH class="card filter-form" role=role>
            {children()}
            <button type="submit" class="button">{label}</button>
            {export}
        </form>
    }
}

/// A filter that picks one of `options` (value, text); the current value is selected.
#[component]
pub fn SelectFilter(
    name: &'static str,
    #[prop(into)] label: Signal<String>,
    #[prop(into)] options: Signal<Vec<(&'static str, String)>>,
    #[prop(into)] current: Signal<String>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <select id=name name=name>
                {move || {
                    let current = current.get();
                    options
                        .get()
                        .into_iter()
                        .map(|(value, text)| {
                            view! { <option value=value selected=current == value>{text}</option> }
                        })
                        .collect_view()
                }}
            </select>
        </div>
    }
}

/// A list's "from" and "to" days ("YYYY-MM-DD", both included), as its query holds them.
#[component]
pub fn DateRange(
    #[prop(into)] from: Signal<String>,
    #[prop(into)] to: Signal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="field">
            <label for="from">{t!(i18n, filter_from)}</label>
            <input id="from" name="from" type="date" placeholder="YYYY-MM-DD" value=from />
        </div>
        <div class="field">
            <label for="to">{t!(i18n, filter_to)}</label>
            <input id="to" name="to" type="date" placeholder="YYYY-MM-DD" value=to />
        </div>
    }
}

/// A list's current page in a card: its rows as `rows` shows them (with the list's own empty
/// state), then the pager. The page makes `resource` from the query (at its top, never inside
/// a suspended view).
#[component]
pub fn PagedList<Q, T, F, V>(
    query: Memo<Q>,
    resource: Resource<Result<Page<T>, crate::error::AppError>>,
    rows: F,
) -> impl IntoView
where
    Q: ListQuery,
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(Vec<T>) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <section class="card">
            <crate::ui::DataState resource let:page>
                {rows(page.rows)}
                <Pager query=query.get_untracked() next=page.next />
            </crate::ui::DataState>
        </section>
    }
}

/// The way to the next (older) page, and back to the newest when not on it.
#[component]
pub fn Pager<Q: ListQuery>(query: Q, next: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let newest = query.before().map(|_| query.at(None).href());
    let older = next.map(|cursor| query.at(Some(cursor)).href());
    (newest.is_some() || older.is_some()).then(|| {
        view! {
            <nav class="pager" aria-label=move || t_string!(i18n, pages_label)>
                {newest.map(|href| view! { <a class="button secondary" href=href id="newest">{t!(i18n, newest_page)}</a> })}
                {older.map(|href| view! { <a class="button secondary" href=href id="older">{t!(i18n, older_page)}</a> })}
            </nav>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    struct Sample {
        from: String,
        kind: String,
        #[serde(
            deserialize_with = "lenient_cursor",
            skip_serializing_if = "Option::is_none"
        )]
        before: Option<i64>,
    }

    crate::list_query!(Sample, path: "/sample", export: "/export/sample.csv");

    #[test]
    fn queries_round_trip_through_the_address() {
        let query = Sample {
            from: "2026-11-01".into(),
            kind: "daily charge&more".into(),
            before: Some(42),
        };
        let href = query.href();
        assert_eq!(
            href,
            "/sample?from=2026-11-01&kind=daily+charge%26more&before=42"
        );
        let back = Sample::from_query_string(href.trim_start_matches("/sample"));
        assert_eq!(back, query);
        assert_eq!(
            query.export_href().as_deref(),
            Some("/export/sample.csv?from=2026-11-01&kind=daily+charge%26more")
        );
        assert_eq!(Sample::default().href(), "/sample");
    }

    #[test]
    fn what_cannot_be_read_falls_back() {
        let query = Sample::from_query_string("?before=abc&kind=x&unknown=1");
        assert_eq!(query.before, None);
        assert_eq!(query.kind, "x");
        assert_eq!(Sample::from_query_string("%%%"), Sample::default());
        let twice = Sample::from_query_string("kind=a&kind=b&from=2026-01-01");
        assert_eq!(
            (twice.kind.as_str(), twice.from.as_str()),
            ("a", "2026-01-01")
        );
    }

    #[test]
    fn pages_keep_the_extra_row_out() {
        let page = Page::from_rows(vec![9, 8, 7], 2, |row| *row);
        assert_eq!(page.rows, vec![9, 8]);
        assert_eq!(page.next, Some(8));
        let last = Page::from_rows(vec![2, 1], 2, |row| *row);
        assert_eq!(last.next, None);
    }
}
