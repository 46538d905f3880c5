//! Service certificates (志愿服务记录证明, DOMAIN.md section 3): a printable page of a person's
//! approved sessions in a period, with a unique number and a verification code that anyone can
//! check without logging in. Each issued certificate is recorded.

use crate::services::person_scope;
use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

use super::audit::Entry;
use crate::{
    auth::{Caller, hex},
    db,
    domain::{
        account::Role,
        hours::hours,
        id_number::mask,
        person::SessionStatus,
        time::{days_span, today},
    },
    entities::{account, certificate, community, person, service_session, sport_item, street},
    error::AppError,
};

/// One approved session on a certificate.
#[derive(Debug, Clone)]
pub struct Line {
    pub date: NaiveDate,
    pub community: String,
    pub activity: String,
    pub description: String,
    pub hours: f64,
}

/// An issued certificate with what it shows.
#[derive(Debug, Clone)]
pub struct Issued {
    pub certificate: certificate::Model,
    pub person: person::Model,
    pub lines: Vec<Line>,
    pub handler: Option<account::Model>,
    pub verify_url: String,
}

/// Issues a certificate of `person_id`'s approved sessions from `from` to `to` (inclusive, district
/// days): for the bureau, the person, or an officer of the person's street.
pub async fn issue(
    db: &DatabaseConnection,
    caller: &Caller,
    person_id: i32,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    public_url: &str,
) -> Result<Issued, AppError> {
    let person = person_scope::find_readable(db, caller, person_id).await?;
    caller.require(caller.role != Role::Auditor, "issue certificates")?;
    let to = to.unwrap_or_else(today);
    let from = from.unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(chrono::Datelike::year(&to), 1, 1).unwrap_or(to)
    });
    if from > to {
        return Err(AppError::invalid(
            "from",
            "period.from_after_to",
            "must not be after to",
        ));
    }
    let sessions = approved_in(db, person_id, from, to).await?;
    let communities: std::collections::HashMap<i32, String> = community::Entity::find()
        .filter(community::Column::Id.is_in(sessions.iter().map(|s| s.community_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let items: std::collections::HashMap<String, String> = sport_item::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.code, i.name))
        .collect();
    let lines: Vec<Line> = sessions
        .iter()
        .map(|s| Line {
            date: crate::domain::time::day_of(s.started_at),
            community: communities
                .get(&s.community_id)
                .cloned()
                .unwrap_or_default(),
            activity: items
                .get(&s.activity)
                .cloned()
                .unwrap_or_else(|| s.activity.clone()),
            description: s.description.clone(),
            hours: hours(i64::from(s.quarters)),
        })
        .collect();
    let issuer = match caller.role {
        Role::StreetOfficer => {
            let name = street::Entity::find_by_id(person.street_id)
                .one(db)
                .await?
                .map(|s| s.name)
                .unwrap_or_default();
            format!("{name}办事处")
        }
        _ => "区文体新局".to_owned(),
    };
    let quarters: i32 = sessions.iter().map(|s| s.quarters).sum();
    let code = hex(&rand::random::<[u8; 16]>());
    let txn = db::begin_write(db).await?;
    let created = certificate::ActiveModel {
        code: Set(code.clone()),
        number: Set(None),
        person_id: Set(person_id),
        period_from: Set(from),
        period_to: Set(to),
        quarters: Set(quarters),
        sessions: Set(sessions.len() as i32),
        issuer: Set(issuer),
        issued_by: Set(caller.account_id),
        issued_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut numbered: certificate::ActiveModel = created.clone().into();
    numbered.number = Set(Some(format!(
        "FR-{}-{:06}",
        chrono::Datelike::year(&today()),
        created.id
    )));
    let created = numbered.update(&txn).await?;
    Entry::new("issue_certificate", "person", person_id)
        .after(&serde_json::json!({"certificate": created.number, "from": from, "to": to, "sessions": created.sessions}))
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    let handler = match caller.account_id {
        Some(id) => account::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let verify_url = format!("{}/verify/{code}", public_url.trim_end_matches('/'));
    Ok(Issued {
        certificate: created,
        person,
        lines,
        handler,
        verify_url,
    })
}

/// The person's approved sessions that started on the district days `from` to `to`.
async fn approved_in(
    db: &DatabaseConnection,
    person_id: i32,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<service_session::Model>, AppError> {
    let (start, end) = days_span(from, to);
    Ok(service_session::Entity::find()
        .filter(service_session::Column::PersonId.eq(person_id))
        .filter(service_session::Column::Status.eq(SessionStatus::Approved))
        .filter(service_session::Column::StartedAt.gte(start))
        .filter(service_session::Column::StartedAt.lt(end))
        .order_by_asc(service_session::Column::StartedAt)
        .all(db)
        .await?)
}

/// What the public verification shows: no full name, no ID number; and whether the registry
/// still holds what the certificate states (a session revoked or corrected since changes that).
#[derive(Debug, Clone)]
pub struct Verified {
    pub certificate: certificate::Model,
    pub masked_name: String,
    /// Approved quarter hours and sessions the record holds for the period today.
    pub record_quarters: i32,
    pub record_sessions: i32,
}

impl Verified {
    pub fn matches_record(&self) -> bool {
        self.record_quarters == self.certificate.quarters
            && self.record_sessions == self.certificate.sessions
    }
}

pub async fn verify(db: &DatabaseConnection, code: &str) -> Result<Verified, AppError> {
    let unknown = || AppError::not_found("certificate", code);
    if code.len() > 64 {
        return Err(unknown());
    }
    let found = certificate::Entity::find()
        .filter(certificate::Column::Code.eq(code))
        .one(db)
        .await?
        .ok_or_else(unknown)?;
    let person = person_scope::find(db, found.person_id).await?;
    let now_held = approved_in(db, found.person_id, found.period_from, found.period_to).await?;
    Ok(Verified {
        masked_name: mask_name(&person.name),
        record_quarters: now_held.iter().map(|s| s.quarters).sum(),
        record_sessions: now_held.len() as i32,
        certificate: found,
    })
}

/// The first character kept, the rest starred: `李小明` -> `李**`.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The printable certificate page.
pub fn render(issued: &Issued) -> String {
    let qr = crate::qr::svg(&issued.verify_url, 120).unwrap_or_default();
    let c = &issued.certificate;
    let p = &issued.person;
    let mut rows = String::new();
    for line in &issued.lines {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{:.2}</td></tr>\n",
            line.date,
            escape(&line.community),
            escape(&line.activity),
            escape(&line.description),
            line.hours
        ));
    }
    if issued.lines.is_empty() {
        rows.push_str("<tr><td colspan=\"5\">本期间内无已审核的服务记录</td></tr>\n");
    }
    let handler = issued
        .handler
        .as_ref()
        .map(|a| {
            format!(
                "{}{}",
                escape(&a.username),
                a.email
                    .as_deref()
                    .map(|e| format!("（{}）", escape(e)))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_else(|| "系统".to_owned());
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>志愿服务记录证明 {number}</title>
<style>{style}</style></head>
<body>
<h1>志愿服务记录证明</h1>
<table class="meta">
<tr><td>证明编号：{number}</td><td>出具日期：{issued}</td></tr>
<tr><td>姓名：{name}</td><td>证件类型：居民身份证</td></tr>
<tr><td>证件号码：{id_number}</td><td>登记编号：{person_id}</td></tr>
<tr><td colspan="2">服务期间：{from} 至 {to}，共 {sessions} 次，累计服务时长 <strong>{hours:.2}</strong> 小时</td></tr>
</table>
<h2>服务记录</h2>
<table><tr><th>日期</th><th>服务地点</th><th>服务项目</th><th>服务内容</th><th>时长（小时）</th></tr>
{rows}</table>
<p>特此证明。</p>
<table class="meta">
<tr><td>出具单位：{issuer}（盖章）</td><td>负责人：__________</td></tr>
<tr><td colspan="2">经办人：{handler}</td></tr>
</table>
<div class="verify"><div class="qr">{qr}</div><p>验证码：<code>{code}</code><br>验证网址：{url}<br>扫描二维码或打开验证网址，可核验本证明与登记记录是否一致。</p></div>
</body></html>
"#,
        number = escape(c.number.as_deref().unwrap_or_default()),
        issued = crate::domain::time::day_of(c.issued_at),
        name = escape(&p.name),
        id_number = mask(&p.id_number),
        person_id = p.id,
        from = c.period_from,
        to = c.period_to,
        sessions = c.sessions,
        hours = hours(i64::from(c.quarters)),
        issuer = escape(&c.issuer),
        code = c.code,
        url = escape(&issued.verify_url),
        qr = qr,
        style = STYLE,
    )
}

/// The page's only style, inline so the certificate prints as one file.
const STYLE: &str = "body{font-family:serif;max-width:800px;margin:2em auto;padding:0 0.5em;\
line-height:1.6;overflow-wrap:anywhere}\
h1{text-align:center}table{width:100%;border-collapse:collapse}\
td,th{border:1px solid #333;padding:4px 6px}.n{text-align:right}.meta td{border:none}\
.verify{display:flex;flex-wrap:wrap;gap:1em;align-items:center}\
@media screen and (max-width:600px){td,th{padding:2px 3px;font-size:0.85em}}.qr svg{width:30mm;height:30mm}\
@page{size:A4;margin:15mm}@media print{body{margin:0;max-width:none}.noprint{display:none}}";

/// The content security policy of the certificate page: nothing but its own inline style, named
/// by hash, so browsers print it styled and run nothing.
pub fn page_policy() -> &'static str {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use sha2::{Digest, Sha256};
    static POLICY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    POLICY.get_or_init(|| {
        format!(
            "default-src 'none'; style-src 'sha256-{}'; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'",
            STANDARD.encode(Sha256::digest(STYLE))
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_after_the_first_character() {
        assert_eq!(mask_name("李小明"), "李**");
        assert_eq!(mask_name("王"), "王");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape("<b>&'\""), "&lt;b&gt;&amp;&#39;&quot;");
    }
}
