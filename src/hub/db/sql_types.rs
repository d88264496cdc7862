//! Domain values as PostgreSQL `text` columns: read straight into their enums, so nothing past
//! the database edge compares strings. A value the enum does not know is an error naming it.

use crate::drilling::{AnomalyCategory, Campaign, RiskLevel};
use crate::fleet::{OutcomeKind, RigStatus};
use crate::hub::auth::Role;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::Text;

macro_rules! text_enum {
    ($t:ty) => {
        impl FromSql<Text, Pg> for $t {
            fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                let name = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
                <$t>::from_name(&name).ok_or_else(|| {
                    format!("unknown {} {name:?} in the database", stringify!($t)).into()
                })
            }
        }

        impl Queryable<Text, Pg> for $t {
            type Row = Self;

            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    };
}

text_enum!(RigStatus);
text_enum!(AnomalyCategory);
text_enum!(RiskLevel);
text_enum!(Campaign);
text_enum!(OutcomeKind);
text_enum!(Role);
