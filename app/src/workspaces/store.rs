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
