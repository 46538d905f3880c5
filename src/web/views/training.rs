//! A member's training and career: the courses held with their results and credited hours, in
//! total and per year, and how the person stands for the next instructor grade.

use askama::Template;
use poem::{Request, Response, handler};

use crate::{
    domain::{
        hours::hours,
        person::Grade,
        training::{EnrollmentStatus, TrainingResult},
    },
    services::{eligibility, training},
    web::{
        Layout, format, page,
        session::{WebCaller, state},
        views::sessions::own_person,
    },
};

pub struct CourseRow {
    pub title: String,
    pub period: String,
    pub result: &'static str,
    pub hours: String,
}

pub struct RequirementRow {
    pub name: &'static str,
    pub required: String,
    pub actual: String,
    pub met: bool,
}

#[derive(Template)]
#[template(path = "member/training.html")]
struct TrainingPage {
    layout: Layout,
    title: &'static str,
    total: String,
    by_year: Vec<(i32, String)>,
    courses: Vec<CourseRow>,
    current_grade: String,
    next_grade: String,
    eligible: bool,
    requirements: Vec<RequirementRow>,
}

pub fn grade_name(grade: Grade) -> String {
    format!("{}社会体育指导员", grade.chinese())
}

pub fn requirement_name(name: &str) -> &'static str {
    match name {
        "age" => "年龄（岁）",
        "certification_course" => "等级培训（次）",
        "training_hours" => "培训学时（小时）",
        "service_sessions" => "服务次数（次）",
        "registered_years" => "注册年限（年）",
        _ => "其他条件",
    }
}

fn amount(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[handler]
pub async fn overview(req: &Request, who: WebCaller) -> poem::Result<Response> {
    let state = state(req)?;
    let db = &state.db;
    let person_id = own_person(&who)?;
    let account = who.account.clone();
    let transcript = training::transcript(db, &who.caller, person_id).await?;
    let courses = transcript
        .items
        .iter()
        .filter(|(seat, _)| seat.status == EnrollmentStatus::Enrolled)
        .map(|(seat, course)| CourseRow {
            title: course.title.clone(),
            period: format!(
                "{} 至 {}",
                format::date(course.starts_on),
                format::date(course.ends_on)
            ),
            result: match seat.result {
                Some(TrainingResult::Completed) => "结业",
                Some(TrainingResult::Failed) => "未通过",
                Some(TrainingResult::Absent) => "缺席",
                None => "待公布",
            },
            hours: format::hours(hours(i64::from(seat.credited_quarters.unwrap_or(0)))),
        })
        .collect();
    let by_year = transcript
        .by_year
        .iter()
        .rev()
        .map(|(year, quarters)| (*year, format::hours(hours(*quarters))))
        .collect();
    let outlook = eligibility::outlook(db, &who.caller, person_id, None).await?;
    let (next_grade, eligible, requirements) = match &outlook.judged {
        Some(judged) => (
            grade_name(judged.grade),
            judged.eligible,
            judged
                .requirements
                .iter()
                .map(|r| RequirementRow {
                    name: requirement_name(&r.name),
                    required: amount(r.required),
                    actual: amount(r.actual),
                    met: r.met,
                })
                .collect(),
        ),
        None => (String::new(), false, Vec::new()),
    };
    page(&TrainingPage {
        layout: Layout::signed_in(&who, &account.username, "/me/training"),
        title: "培训与晋级",
        total: format::hours(hours(transcript.total_quarters)),
        by_year,
        courses,
        current_grade: outlook
            .current_grade
            .map_or_else(|| "尚无等级".to_owned(), grade_name),
        next_grade,
        eligible,
        requirements,
    })
}
