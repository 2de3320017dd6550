//! The one CSV writer of every export (Income & expenditure, activation codes, and the lists to
//! come): the `csv` crate does the quoting; this adds what spreadsheets need — a byte-order
//! mark so Excel reads the UTF-8 (Chinese, ¥) right, CRLF line ends, and formula escaping.
//! Rows are made one at a time, so an export streams page by page.

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
/// ("-¥1,000.00") and must stay numbers, so a plain signed number is left as it is.
fn escape_formula(field: &str) -> String {
    let number = field
        .strip_prefix(['-', '+'])
        .unwrap_or(field)
        .trim_start_matches(['¥', '$'])
        .replace(',', "")
        .parse::<rust_decimal::Decimal>()
        .is_ok();
    if !number && field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_string()
    }
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
    }
}
