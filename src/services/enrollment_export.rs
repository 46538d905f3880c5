//! A course's sign-in sheet (签到表): the people holding a seat, within the caller's scope, as CSV
//! or XLSX, with an empty column to sign. ID numbers are always masked: the sheet is printed.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::{
    enrollments,
    people_export::Format,
    spreadsheet::{self, Sheet},
};
use crate::{
    auth::Caller,
    domain::{
        hours::hours,
        id_number::mask,
        person::Gender,
        training::{EnrollmentStatus, TrainingResult},
    },
    entities::{course, person, street},
    error::AppError,
};

const HEADERS: [&str; 11] = [
    "序号",
    "姓名",
    "性别",
    "身份证号码",
    "手机号码",
    "街道（乡镇）",
    "结果",
    "认定学时",
    "成绩",
    "备注",
    "签名",
];

/// The sheet and the course it belongs to.
pub async fn export(
    db: &DatabaseConnection,
    caller: &Caller,
    course_id: i32,
    format: Format,
) -> Result<(Vec<u8>, course::Model), AppError> {
    let course = course::Entity::find_by_id(course_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("course", course_id))?;
    let seats = enrollments::visible(caller, course_id, Some(EnrollmentStatus::Enrolled))
        .find_also_related(person::Entity)
        .order_by_asc(person::Column::StreetId)
        .order_by_asc(person::Column::Name)
        .all(db)
        .await?;
    let street_ids: Vec<i32> = seats
        .iter()
        .filter_map(|(_, p)| p.as_ref().map(|p| p.street_id))
        .collect();
    let streets: HashMap<i32, String> = street::Entity::find()
        .filter(street::Column::Id.is_in(street_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut rows = Vec::with_capacity(seats.len());
    for (n, (seat, person)) in seats.iter().enumerate() {
        let person = person
            .as_ref()
            .ok_or_else(|| AppError::Internal("enrolled person vanished".into()))?;
        rows.push(vec![
            (n + 1).to_string(),
            person.name.clone(),
            match person.gender {
                Gender::Male => "男",
                Gender::Female => "女",
            }
            .to_owned(),
            mask(&person.id_number),
            person.phone.clone(),
            streets.get(&person.street_id).cloned().unwrap_or_default(),
            seat.result.map(result_name).unwrap_or_default().to_owned(),
            seat.credited_quarters
                .map(|q| hours(q.into()).to_string())
                .unwrap_or_default(),
            seat.score.map(|s| s.to_string()).unwrap_or_default(),
            String::new(),
            String::new(),
        ]);
    }
    let bytes = match format {
        Format::Csv => spreadsheet::csv(&HEADERS, &rows)?,
        Format::Xlsx => spreadsheet::xlsx(&[Sheet {
            name: "签到表",
            headers: &HEADERS,
            rows: &rows,
        }])?,
    };
    Ok((bytes, course))
}

fn result_name(result: TrainingResult) -> &'static str {
    match result {
        TrainingResult::Completed => "结业",
        TrainingResult::Failed => "未通过",
        TrainingResult::Absent => "缺席",
    }
}
