//! The one CSV writer of every export (Income & expenditure, activation codes, and the lists to
//! come): the `csv` crate does the quoting; this adds what spreadsheets need — a byte-order
//! mark so Excel reads the UTF-8 (Chinese, ¥) right, CRLF line ends, and formula escaping.
//! Rows are made one at a time, and [`export`] streams a list page by page.

/// Written once at the start of a file.
pub const BOM: &str = "\u{feff}";

/// One CSV line (CRLF-terminated), each field escaped against formulas and quoted as needed.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let escaped: Vec<String> = fields.iter().map(|f| escape_formula(f.as_ref())).collect();
    // Writing to memory cannot fail.
    let _ = writer.write_record(&escaped);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a formula in
/// a spreadsheet, so it gets a leading `'`. Amounts are written with their sign and currency
/// ("-¥1,000.00", "+¥5.00") and must stay numbers, so those are left as they are, and so is a
/// plain negative number; a `+` before digits alone (a phone number, "+8613800138000") is
/// escaped, which also keeps a spreadsheet from reading the number as 8.61E+12.
fn escape_formula(field: &str) -> String {
    let amount = |rest: &str| {
        rest.replace(',', "")
            .parse::<rust_decimal::Decimal>()
            .is_ok()
    };
    let number = match field.strip_prefix('+') {
        Some(rest) => rest
            .strip_prefix(['¥', '$'])
            .is_some_and(|rest| amount(rest)),
        None => amount(
            field
                .strip_prefix('-')
                .unwrap_or(field)
                .trim_start_matches(['¥', '$']),
        ),
    };
    if !number && field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_string()
    }
}

/// A CSV download streamed page by page, never built whole in memory: the byte-order mark and
/// `header`, then each page `page` gives for a cursor (its rows, and the cursor of the next
/// page), from the first (`None`) until a page has no next. The first page is read before the
/// answer starts, so a bad filter is the caller's error to answer (a 4xx with its message); a
/// failure later is logged and ends the body with an error, so the client sees a broken
/// download, not a short file that looks complete.
pub async fn export<F, Fut>(
    filename: &str,
    header: &[&str],
    page: F,
) -> Result<axum::response::Response, crate::error::AppError>
where
    F: Fn(Option<i64>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Rows, crate::error::AppError>> + Send + 'static,
{
    use axum::http::header;
    use axum::response::IntoResponse;
    use futures::StreamExt;
    let (first, next) = page(None).await?;
    let head = format!("{BOM}{}{}", line(header), lines(&first));
    let rest = futures::stream::unfold(next, move |cursor: Option<i64>| {
        let page = page.clone();
        async move {
            let before = cursor?;
            match page(Some(before)).await {
                Ok((rows, next)) => Some((Ok::<_, std::io::Error>(lines(&rows)), next)),
                Err(error) => {
                    tracing::error!(%error, "export stopped");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    // Fused: the body is polled once more after its end, which a bare `unfold` does not allow.
    let body = futures::stream::once(async move { Ok(head) })
        .chain(rest)
        .fuse();
    let disposition = format!("attachment; filename=\"{filename}\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

/// One page of an export: its rows as fields, and the cursor of the next page.
pub type Rows = (Vec<Vec<String>>, Option<i64>);

fn lines(rows: &[Vec<String>]) -> String {
    rows.iter().map(|row| line(row)).collect()
}

#[cfg(test)]
mod tests {
    use super::line;

    #[test]
    fn lines_are_quoted_and_escaped() {
        assert_eq!(
            line(&["a", "b,c", "say \"hi\""]),
            "a,\"b,c\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(line(&["=SUM(A1)", "-¥1.00"]), "'=SUM(A1),-¥1.00\r\n");
        assert_eq!(
            line(&["+cmd|' /C calc'!A0", "-1+1", "@x", "\tx", "-5"]),
            "'+cmd|' /C calc'!A0,'-1+1,'@x,'\tx,-5\r\n"
        );
        assert_eq!(
            line(&["+¥123.45", "-$1,000.00", "+=1"]),
            "+¥123.45,\"-$1,000.00\",'+=1\r\n"
        );
        assert_eq!(line(&["line\nbreak", "财务"]), "\"line\nbreak\",财务\r\n");
        // A phone number keeps its plus sign as text, not as a formula or a number.
        assert_eq!(line(&["+8613800138000", "+5"]), "'+8613800138000,'+5\r\n");
    }
}
