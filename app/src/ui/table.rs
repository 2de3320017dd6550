use leptos::prelude::*;

/// A list as a scrollable table: `head` is the heading row's cells, the children its rows.
#[component]
pub fn DataTable<H>(id: &'static str, head: H, children: Children) -> impl IntoView
where
    H: IntoView + 'static,
{
    view! {
        <div class="table-wrap">
            <table class="data" id=id>
                <thead>
                    <tr>{head}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// A list as a table, or `empty` in its place when there is nothing to list, so that every list
/// says "nothing here" the same way: `head` is the heading row's cells, `row` makes one row of
/// an item.
#[component]
pub fn ListTable<T, H, E, R, V>(
    id: &'static str,
    items: Vec<T>,
    empty: E,
    head: H,
    row: R,
) -> impl IntoView
where
    T: 'static,
    H: IntoView + 'static,
    E: IntoView + 'static,
    R: Fn(T) -> V + 'static,
    V: IntoView + 'static,
{
    if items.is_empty() {
        return view! { <p class="empty">{empty}</p> }.into_any();
    }
    let rows = items.into_iter().map(row).collect_view();
    view! { <DataTable id head>{rows}</DataTable> }.into_any()
}
