//! SQL of the workspaces area.
use super::model::Site;
use crate::money::Currency;
use crate::server::db::Db;
use sqlx::Row;

pub async fn list_sites(db: &Db, currency: Option<Currency>) -> Result<Vec<Site>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT code, location, cloud, currency FROM sites \
         WHERE ($1 = '' OR currency = $1) ORDER BY position",
    )
    .bind(currency.map(Currency::code).unwrap_or(""))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let currency: String = row.try_get("currency")?;
            let cloud: Option<String> = row.try_get("cloud")?;
            Ok(Site {
                code: row.try_get("code")?,
                location: row.try_get("location")?,
                cloud: cloud.and_then(|c| c.parse().ok()),
                currency: currency
                    .parse()
                    .map_err(|e: crate::money::MoneyError| sqlx::Error::Decode(Box::new(e)))?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing::db_test;

    db_test!(sites_filter_by_currency, |db| async move {
        let all = list_sites(&db, None).await.expect("all sites");
        let codes: Vec<&str> = all.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(
            codes,
            ["CN1", "CN2", "CN4", "CN5", "CN6", "US1", "EU1", "AP1"]
        );
        let usd = list_sites(&db, Some(Currency::USD))
            .await
            .expect("USD sites");
        assert_eq!(usd.len(), 3);
        assert!(usd.iter().all(|s| s.currency == Currency::USD));
        assert_eq!(all[0].cloud, Some(crate::workspaces::Cloud::Aliyun));
    });
}
