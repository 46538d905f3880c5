//! Exporting the people list as CSV (UTF-8 with BOM, so Excel reads the Chinese) or XLSX, with
//! the list's filters and scope. ID numbers are masked unless the caller is the bureau, whose
//! export of full numbers is recorded in the audit log.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{
    audit::Entry,
    people::{self, PersonFilter},
    spreadsheet::{self, FileStream, Kind, SheetSpec, StreamError},
};
use crate::{
    auth::Caller,
    db,
    domain::{account::Role, id_number::mask, person::QualificationStatus, time},
    entities::{person, person_specialty, qualification, street},
    error::AppError,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

static HEADERS: [&str; 12] = [
    "编号",
    "姓名",
    "性别",
    "出生日期",
    "身份证号码",
    "手机号码",
    "电子邮箱",
    "街道（乡镇）",
    "状态",
    "资格",
    "专长",
    "登记时间",
];

/// People read, and rows written, at a time.
const PAGE: u64 = 1000;

/// The exported file, streamed as it is written a page of people at a time, and how many people
/// it lists. The filter, the scope and the count are checked and read before the first byte,
/// so a refusal is an answer of its own, not a cut-short file.
pub async fn export(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: &PersonFilter,
    format: Format,
) -> Result<(FileStream, u64), AppError> {
    let total = people::filtered(caller, filter)?.count(db).await?;
    let streets: HashMap<i32, String> = street::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let full_numbers = caller.role == Role::BureauAdmin;
    if full_numbers && total > 0 {
        let txn = db::begin_write(db).await?;
        Entry::new("read_id_number", "people_export", "export")
            .after(&serde_json::json!({"people": total}))
            .record(&txn, caller)
            .await?;
        txn.commit().await?;
    }
    let kind = match format {
        Format::Csv => Kind::Csv,
        Format::Xlsx => Kind::Xlsx,
    };
    let sheets = vec![SheetSpec {
        name: "人员名册",
        headers: &HEADERS,
    }];
    let (db, caller, filter) = (db.clone(), caller.clone(), filter.clone());
    let file = spreadsheet::streamed(kind, sheets, move |mut sink| async move {
        let mut after = 0;
        loop {
            let page = people::filtered(&caller, &filter)?
                .filter(person::Column::Id.gt(after))
                .order_by_asc(person::Column::Id)
                .limit(PAGE)
                .all(&db)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let ids: Vec<i32> = page.iter().map(|p| p.id).collect();
            let qualifications = people::load_qualifications(&db, &ids).await?;
            let specialties = people::load_specialties(&db, &ids).await?;
            for p in &page {
                let quals = qualifications.get(&p.id).map(Vec::as_slice);
                let items = specialties.get(&p.id).map(Vec::as_slice);
                let row = row(
                    p,
                    quals.unwrap_or_default(),
                    items.unwrap_or_default(),
                    &streets,
                    full_numbers,
                );
                sink.push(0, row.into()).await?;
            }
            if (page.len() as u64) < PAGE {
                break;
            }
        }
        Ok::<_, StreamError>(sink)
    });
    Ok((file, total))
}

/// One person's row: the ID number masked unless `full_numbers`.
fn row(
    p: &person::Model,
    quals: &[qualification::Model],
    specialties: &[person_specialty::Model],
    streets: &HashMap<i32, String>,
    full_numbers: bool,
) -> [String; 12] {
    let held: Vec<String> = quals
        .iter()
        .filter(|q| q.status == QualificationStatus::Active)
        .map(|q| match q.grade {
            Some(grade) => format!("{}（{}）", q.kind.chinese(), grade.chinese()),
            None => q.kind.chinese().to_owned(),
        })
        .collect();
    let items: Vec<&str> = specialties.iter().map(|s| s.sport_item.as_str()).collect();
    [
        p.id.to_string(),
        p.name.clone(),
        p.gender.chinese().to_owned(),
        p.birth_date.to_string(),
        if full_numbers {
            p.id_number.clone()
        } else {
            mask(&p.id_number)
        },
        p.phone.clone(),
        p.email.clone().unwrap_or_default(),
        streets.get(&p.street_id).cloned().unwrap_or_default(),
        p.status.chinese().to_owned(),
        held.join("、"),
        items.join("、"),
        time::local(p.created_at)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    ]
}
