//! Exporting the people list as CSV (UTF-8 with BOM, so Excel reads the Chinese) or XLSX, with
//! the list's filters and scope. ID numbers are masked unless the caller is the bureau, whose
//! export of full numbers is recorded in the audit log.

use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use super::{
    audit::Entry,
    people::{self, PersonFilter},
    spreadsheet::{self, Sheet},
};
use crate::{
    auth::Caller,
    db,
    domain::{account::Role, id_number::mask, person::QualificationStatus, time},
    entities::{person, street},
    error::AppError,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

const HEADERS: [&str; 12] = [
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

/// The exported file and how many people it lists.
pub async fn export(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: &PersonFilter,
    format: Format,
) -> Result<(Vec<u8>, usize), AppError> {
    let people = people::filtered(caller, filter)?
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = people.iter().map(|p| p.id).collect();
    let mut qualifications = std::collections::HashMap::new();
    let mut specialties = std::collections::HashMap::new();
    for chunk in ids.chunks(1000) {
        qualifications.extend(people::load_qualifications(db, chunk).await?);
        specialties.extend(people::load_specialties(db, chunk).await?);
    }
    let streets: std::collections::HashMap<i32, String> = street::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let full_numbers = caller.role == Role::BureauAdmin;
    if full_numbers && !people.is_empty() {
        let txn = db::begin_write(db).await?;
        Entry::new("read_id_number", "people_export", "export")
            .after(&serde_json::json!({"people": people.len()}))
            .record(&txn, caller)
            .await?;
        txn.commit().await?;
    }
    let rows: Vec<[String; 12]> = people
        .iter()
        .map(|p| {
            let quals = qualifications
                .get(&p.id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let held: Vec<String> = quals
                .iter()
                .filter(|q| q.status == QualificationStatus::Active)
                .map(|q| match q.grade {
                    Some(grade) => format!("{}（{}）", q.kind.chinese(), grade.chinese()),
                    None => q.kind.chinese().to_owned(),
                })
                .collect();
            let items: Vec<&str> = specialties
                .get(&p.id)
                .map(|s| s.iter().map(|s| s.sport_item.as_str()).collect())
                .unwrap_or_default();
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
        })
        .collect();
    let bytes = match format {
        Format::Csv => spreadsheet::csv(&HEADERS, &rows)?,
        Format::Xlsx => spreadsheet::xlsx(&[Sheet {
            name: "人员名册",
            headers: &HEADERS,
            rows: &rows,
        }])?,
    };
    Ok((bytes, rows.len()))
}
