//! What each mail says: its kind, subject and plain-text body in Chinese, signed by the bureau; no
//! body holds a resident ID number or a password.

use chrono::{DateTime, Utc};

use super::MailKind;
use crate::domain::{account::Role, time};

/// A mail the service sends. Bodies are plain text in Chinese; none holds a resident ID number
/// or a password.
#[derive(Debug, Clone)]
pub enum Mail<'a> {
    Invitation {
        username: &'a str,
        role: Role,
        link: String,
        expires_at: DateTime<Utc>,
    },
    PasswordReset {
        username: &'a str,
        link: String,
        expires_at: DateTime<Utc>,
    },
    SessionCorrected {
        name: &'a str,
        community: &'a str,
        started_at: DateTime<Utc>,
        hours: f64,
    },
    SessionReviewed {
        name: &'a str,
        community: &'a str,
        started_at: DateTime<Utc>,
        hours: f64,
        approved: bool,
        note: Option<&'a str>,
    },
    EnrollmentConfirmed {
        name: &'a str,
        course: &'a str,
        starts_on: chrono::NaiveDate,
        ends_on: chrono::NaiveDate,
        location: &'a str,
        organizer: &'a str,
        hours: f64,
    },
    CourseCancelled {
        name: &'a str,
        course: &'a str,
        starts_on: chrono::NaiveDate,
        reason: Option<&'a str>,
    },
    RegistrationReminder {
        name: &'a str,
        year: i32,
    },
    RegistrationList {
        street: &'a str,
        year: i32,
        /// Name and phone of each instructor not yet registered.
        people: Vec<(String, String)>,
    },
    CoverageAlert {
        street: &'a str,
        as_of: chrono::NaiveDate,
        /// Uncovered communities and the day their last administrator left, if ever.
        gaps: Vec<(String, Option<chrono::NaiveDate>)>,
        /// Covered communities and the day they lose their last administrator.
        at_risk: Vec<(String, chrono::NaiveDate)>,
    },
}

const SIGNATURE: &str =
    "\n\n——\n区文体新局 · fitreg 体育工作者登记系统\n本邮件由系统自动发送，请勿直接回复。\n";

impl Mail<'_> {
    pub fn kind(&self) -> MailKind {
        match self {
            Mail::Invitation { .. } => MailKind::Invitation,
            Mail::PasswordReset { .. } => MailKind::PasswordReset,
            Mail::CoverageAlert { .. } => MailKind::CoverageAlert,
            Mail::SessionReviewed { .. } => MailKind::SessionReviewed,
            Mail::SessionCorrected { .. } => MailKind::SessionCorrected,
            Mail::EnrollmentConfirmed { .. } => MailKind::EnrollmentConfirmed,
            Mail::CourseCancelled { .. } => MailKind::CourseCancelled,
            Mail::RegistrationReminder { .. } => MailKind::RegistrationReminder,
            Mail::RegistrationList { .. } => MailKind::RegistrationList,
        }
    }

    pub fn subject(&self) -> String {
        match self {
            Mail::Invitation { .. } => "【fitreg】账户激活邀请".to_owned(),
            Mail::PasswordReset { .. } => "【fitreg】重置密码".to_owned(),
            Mail::SessionCorrected { .. } => "【fitreg】服务记录已更正".to_owned(),
            Mail::SessionReviewed { approved: true, .. } => {
                "【fitreg】服务记录已审核通过".to_owned()
            }
            Mail::SessionReviewed {
                approved: false, ..
            } => "【fitreg】服务记录未通过审核".to_owned(),
            Mail::EnrollmentConfirmed { course, .. } => format!("【fitreg】培训报名确认：{course}"),
            Mail::CourseCancelled { course, .. } => format!("【fitreg】培训取消通知：{course}"),
            Mail::RegistrationReminder { year, .. } => {
                format!("【fitreg】请办理 {year} 年度社会体育指导员工作注册")
            }
            Mail::RegistrationList {
                street,
                year,
                people,
            } => format!(
                "【fitreg】{street}尚有 {} 名社会体育指导员未办理 {year} 年度工作注册",
                people.len()
            ),
            Mail::CoverageAlert {
                street,
                gaps,
                at_risk,
                ..
            } => format!(
                "【fitreg】{street}文体管理员配备提醒：{} 个社区（村）无管理员，{} 个即将无管理员",
                gaps.len(),
                at_risk.len()
            ),
        }
    }

    pub fn body(&self) -> String {
        let text = match self {
            Mail::Invitation {
                username,
                role,
                link,
                expires_at,
            } => format!(
                "{username}，您好：\n\n区文体新局为您开通了 fitreg 账户。\n用户名：{username}\n角色：{role}\n\n\
                 请在 {expires} 前打开以下链接，设置密码并激活账户：\n{link}\n\n\
                 链接只能使用一次。如果您并未申请此账户，请忽略本邮件。",
                role = role.chinese_name(),
                expires = district_time(*expires_at),
            ),
            Mail::PasswordReset {
                username,
                link,
                expires_at,
            } => format!(
                "{username}，您好：\n\n我们收到了重置您 fitreg 账户密码的请求。\n\
                 请在 {expires} 前打开以下链接设置新密码（1 小时内有效，只能使用一次）：\n{link}\n\n\
                 如果这不是您本人的操作，请忽略本邮件，您的密码不会改变。",
                expires = district_time(*expires_at),
            ),
            Mail::SessionCorrected {
                name,
                community,
                started_at,
                hours,
            } => format!(
                "{name}，您好：\n\n您在{community}的志愿服务记录已按更正申请修改：开始时间 {}，服务时长 {hours} 小时。\n\
                 修改前的内容保留在该记录的历史中。",
                district_time(*started_at)
            ),
            Mail::SessionReviewed {
                name,
                community,
                started_at,
                hours,
                approved,
                note,
            } => {
                let outcome = if *approved {
                    "已审核通过"
                } else {
                    "未通过审核"
                };
                let mut text = format!(
                    "{name}，您好：\n\n您于 {} 在{community}开展的志愿服务（{hours} 小时）{outcome}。",
                    district_time(*started_at)
                );
                if let Some(note) = note {
                    text.push_str(&format!("\n审核意见：{note}"));
                }
                if !*approved {
                    text.push_str("\n如对记录有异议，可联系所在街道（乡镇）核实更正。");
                }
                text
            }
            Mail::EnrollmentConfirmed {
                name,
                course,
                starts_on,
                ends_on,
                location,
                organizer,
                hours,
            } => format!(
                "{name}，您好：\n\n您已报名参加{organizer}举办的“{course}”。\n\
                 时间：{starts_on} 至 {ends_on}\n地点：{location}\n学时：{hours} 学时\n\n\
                 请按时参加并签到。如不能参加，请尽早联系所在街道（乡镇）办理退出，以便名额留给他人。"
            ),
            Mail::CourseCancelled {
                name,
                course,
                starts_on,
                reason,
            } => {
                let mut text = format!(
                    "{name}，您好：\n\n原定于 {starts_on} 开始的“{course}”已取消，您的报名随之取消。"
                );
                if let Some(reason) = reason {
                    text.push_str(&format!("\n取消原因：{reason}"));
                }
                text.push_str("\n后续培训安排将另行通知，给您带来不便，敬请谅解。");
                text
            }
            Mail::RegistrationReminder { name, year } => format!(
                "{name}，您好：\n\n{year} 年度社会体育指导员工作注册已经开始，您尚未注册。\n\
                 注册条件：{year} 年持有有效的社会体育指导员资格，且 {last} 年经审核的志愿服务时长达到规定要求。\n\
                 请于 {year} 年 3 月 31 日前联系所在街道（乡镇）办理；逾期未注册的，将列为未注册人员，\n\
                 该年度不计入晋升等级所需的注册年限。",
                last = year - 1
            ),
            Mail::RegistrationList {
                street,
                year,
                people,
            } => {
                let mut text = format!(
                    "{street}各位同志：\n\n以下社会体育指导员尚未办理 {year} 年度工作注册（截至今日）：\n"
                );
                for (name, phone) in people {
                    text.push_str(&format!("- {name}（{phone}）\n"));
                }
                text.push_str(&format!(
                    "\n请于 {year} 年 3 月 31 日前为符合条件的人员办理注册；逾期未注册的人员将列为未注册。"
                ));
                text
            }
            Mail::CoverageAlert {
                street,
                as_of,
                gaps,
                at_risk,
            } => {
                let mut text = format!(
                    "{street}各位同志：\n\n按照“社区（村）专兼职文体管理员配备率 100%”的要求，截至 {as_of}，本街道（乡镇）情况如下。\n"
                );
                if !gaps.is_empty() {
                    text.push_str("\n目前没有在岗文体管理员的社区（村）：\n");
                    for (name, since) in gaps {
                        match since {
                            Some(since) => {
                                text.push_str(&format!("- {name}（自 {since} 起空缺）\n"))
                            }
                            None => text.push_str(&format!("- {name}（从未配备）\n")),
                        }
                    }
                }
                if !at_risk.is_empty() {
                    text.push_str("\n即将没有在岗文体管理员的社区（村）：\n");
                    for (name, from) in at_risk {
                        text.push_str(&format!("- {name}（{from} 起无人在岗）\n"));
                    }
                }
                text.push_str("\n请尽快安排专职或兼职文体管理员，并在系统中登记任职。");
                text
            }
        };
        text + SIGNATURE
    }
}

/// An instant as the district reads it, e.g. `2026年11月29日 16:30（北京时间）`.
fn district_time(instant: DateTime<Utc>) -> String {
    time::local(instant)
        .format("%Y年%m月%d日 %H:%M（北京时间）")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::link;

    #[test]
    fn mails_name_the_account_and_carry_the_link_and_its_expiry() {
        let expires_at = "2026-11-29T08:30:00Z".parse().unwrap();
        let mail = Mail::Invitation {
            username: "li.wei",
            role: Role::StreetOfficer,
            link: link("https://fitreg.example/", "/activate", "abc"),
            expires_at,
        };
        let body = mail.body();
        assert!(body.contains("li.wei"));
        assert!(body.contains("https://fitreg.example/activate?token=abc"));
        assert!(body.contains("2026年11月29日 16:30"), "{body}");
        assert!(body.contains("街道（乡镇）工作人员"));
        assert_eq!(mail.kind(), MailKind::Invitation);
        assert!(mail.subject().contains("激活"));
    }
}
