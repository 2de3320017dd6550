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
