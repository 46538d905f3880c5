//! What a person reads: every violation the services report carries a stable `code`, and this
//! catalogue says it in Chinese, next to the field it is about. A code the catalogue does not
//! know still gets a Chinese sentence, never the English detail.

use std::collections::HashMap;

use crate::{domain::FieldViolation, error::AppError};

/// The Chinese message for a violation code.
pub fn message(code: &str) -> &'static str {
    match code {
        "value.required" => "此项必填",
        "password.too_short" => "密码至少需要 10 个字符",
        "password.too_long" => "密码太长，最多 256 个字符",
        "password.equals_username" => "密码不能与用户名相同",
        "password.wrong" => "当前密码不正确",
        "password.mismatch" => "两次输入的密码不一致",
        "token.invalid" => "链接已失效或已被使用，请重新申请",
        "email.invalid" => "请填写有效的电子邮箱地址",
        "account.username_format" => "用户名为 3 到 64 位小写字母、数字、点、横线或下划线",
        "date.out_of_range" => "日期超出可登记的范围",
        "date.invalid" => "请填写有效的日期",
        "time.invalid" => "请填写有效的时间，例如 08:30",
        "number.invalid" => "请填写整数",
        "number.out_of_range" => "数值超出范围",
        "text.length" => "内容太长",
        "text.blank" => "此项不能只有空格",
        "session.end_before_start" => "结束时间必须晚于开始时间",
        "session.too_long" => "一次服务最长 12 小时",
        "session.in_future" => "不能登记还没有发生的服务",
        "session.too_far_back" => "只能登记最近 30 天内的服务，更早的请联系街道（乡镇）工作人员",
        "session.overlap" => "与您已登记的另一次服务时间重叠",
        "session.not_qualified" => "您还没有有效的指导员或志愿者资格，暂不能登记服务",
        "session.open" => "您有一次签到尚未签退",
        "community.unknown" => "请选择社区（村）",
        "community.inactive" => "该社区（村）已停用，请选择其他社区（村）",
        "sport_item.unknown" => "请选择服务项目",
        "id_number.length" => "身份证号码应为 18 位",
        "id_number.format" => "身份证号码应为 17 位数字加 1 位数字或 X",
        "id_number.checksum" => "身份证号码校验位不对（最后一位），请逐位核对",
        "id_number.birth_date" => "身份证号码中的出生日期不是有效日期",
        "id_number.unknown_region" => "身份证号码前 6 位不是有效的行政区划代码",
        "id_number.obsolete_15_digit" => "15 位身份证号码已停用，请填写 18 位号码",
        "phone.invalid" => "请填写 11 位手机号码，例如 13812345678",
        "person.duplicate_id_number" => "这个身份证号码已经登记过",
        "person.not_active" => "此人已暂停或退出，不能办理",
        "person.unknown" => "没有找到这个人员",
        "street.unknown" => "请选择街道（乡镇）",
        "specialty.licence_required" => "高危项目需要填写从业资格证书编号",
        "specialty.duplicate" => "同一专长选了两次",
        "specialty.too_many" => "专长选得太多",
        "qualification.duplicate" => "此人已有这一类别的有效资格",
        "qualification.grade_required" => "社会体育指导员需要选择等级",
        "qualification.grade_not_allowed" => "只有社会体育指导员有等级",
        "qualification.employment_required" => "文体管理员需要选择专职或兼职",
        "qualification.employment_not_allowed" => "只有文体管理员分专职、兼职",
        "qualification.under_min_age" => "取得资格时未满规定年龄",
        "qualification.grade_lowered" => "等级只能晋升，不能降低",
        "qualification.revoke_reason_required" => "请填写撤销原因",
        "qualification.revoked" => "已撤销的资格不能再修改",
        "qualification.external_grant_required" => "市级及以上授予的等级需要填写批准机关和证书编号",
        "qualification.granted_on_out_of_range" => "批准日期超出范围",
        "eligibility.requirement_unmet" => "尚未满足晋升这一等级的条件",
        "date.in_future" => "日期不能晚于今天",
        "date.format" => "日期请写作 2024-03-05、2024/3/5 或 2024年3月5日",
        "assignment.not_qualified" => "此人没有这一岗位的有效资格",
        "assignment.overlap" => "此人已在这个社区（村）担任这一岗位",
        "assignment.before_qualification" => "安排不能早于取得资格的日期",
        "assignment.end_before_start" => "结束日期必须晚于开始日期",
        "assignment.ended" => "这项安排已经结束",
        "review.note_required" => "退回时请填写原因",
        "review.nothing_selected" => "请先勾选要办理的记录",
        "review.refused" => "不能办理",
        "session.unknown" => "没有找到这条记录",
        "correction.reviewed" => "这份更正申请已经处理过",
        "import.cell_error" => "这个单元格是错误值（如 #N/A），请改为实际内容",
        "import.duplicate_row" => "与文件中前面的一行是同一个身份证号码",
        "import.empty" => "文件里没有数据行",
        "import.id_number_not_text" => {
            "身份证号码存成了数字，Excel 只保留 15 位有效数字，末几位已经丢失；请把这一列设为“文本”格式后重新填写"
        }
        "import.missing_column" => {
            "缺少必需的列（姓名、身份证号码、手机号码、街道代码），请使用导入模板"
        }
        "import.not_csv" | "import.unreadable" => {
            "无法读取这个 CSV 文件，请确认它是 UTF-8 编码的 CSV，或改用 Excel 文件"
        }
        "import.not_xlsx" => "无法读取这个 Excel 文件，请确认它是 .xlsx 格式（不是 .xls）",
        "import.too_large" => "文件太大，请分成几个文件导入",
        "import.too_many_rows" => "行数太多（最多 10 万行），请分成几个文件导入",
        "import.too_many_columns" => "列数太多，请使用导入模板的列",
        "import.unknown_column" => "表头中有本系统不认识的列，请使用导入模板的列名",
        "import.undo_not_possible" => "这次导入的人员已有新的记录或修改，不能再撤销",
        "import.undone" => "这次导入已经撤销过了",
        "import.no_file" => "请选择要导入的文件",
        "person.gender_mismatch" => "性别与身份证号码不符",
        "person.birth_date_mismatch" => "出生日期与身份证号码不符",
        "person.gender_unknown" => "性别请填写“男”或“女”",
        "person.out_of_scope" | "street.out_of_scope" => "只能导入本街道（乡镇）的人员",
        "community.other_street" => "这个社区（村）不属于所填的街道（乡镇）",
        "qualification.kind_unknown" => {
            "类别请填写社会体育指导员、全民健身志愿者、科学健身指导员或文体管理员"
        }
        "qualification.grade_unknown" => "等级请填写三级、二级、一级或国家级",
        "qualification.employment_unknown" => "用工形式请填写专职或兼职",
        "payload.too_large" => "文件太大（最大 20 MB）",
        "session.not_editable" => "只能修改待审核的记录；已通过的记录请申请更正",
        "session.not_pending" => "只能撤回待审核的记录",
        "session.not_approved" => "只有已通过的记录才能申请更正",
        "version.stale" => "这条记录刚被修改过，请刷新页面后重试",
        "correction.empty" => "请至少修改一项再申请更正",
        "correction.pending_exists" => "这条记录已有一份等待审核的更正申请",
        "idempotency.key_reused" => "此表单已提交过，请重新打开页面填写",
        "course.full" => "这期培训名额已满",
        "course.not_open" => "这期培训现在不接受报名",
        "course.cancelled" => "这期培训已取消",
        "enrollment.duplicate" => "此人已报名这期培训",
        "enrollment.withdrawn" => "此人已退出这期培训",
        "enrollment.has_result" => "已记录培训结果，不能再退出",
        "enrollment.nothing_selected" => "请先勾选要报名的人员",
        "enrollment.too_many" => "一次最多报名 200 人",
        "enrollment.refused" => "不能报名",
        "course.kind_required" => "请选择培训类别",
        "course.target_required" => "请选择培训对象",
        "course.initial_status" => "新培训只能是筹备中或报名中",
        "course.end_before_start" => "结束日期不能早于开始日期",
        "course.grade_not_allowed" => "只有面向社会体育指导员的培训才分等级",
        "course.grade_required" => "社会体育指导员的等级培训需要选择等级",
        "course.status_transition" => "这期培训现在的状态不能这样变更",
        "course.cancel_reason_required" => "取消培训时请填写原因，会通知已报名的人员",
        "course.cancel_reason_not_allowed" => "只有取消培训时才填写原因",
        "course.capacity_below_enrolled" => "名额不能少于已报名的人数，请先让部分人员退出",
        "course.hours_below_results" => "学时不能少于已认定给学员的学时",
        "course.fixed_by_results" => {
            "已记录培训结果：培训类别、对象、等级和开始日期不能再改，也不能取消"
        }
        "hours.quarter_steps" => "学时须大于等于 0，以 0.25 小时为单位",
        "result.nothing_given" => "请至少为一人选择培训结果",
        "result.too_many" => "一次最多保存 10000 人的结果",
        "result.duplicate_row" => "同一个人填了两次",
        "result.not_enrolled" => "此人没有报名这期培训",
        "result.status_required" => "请选择结果（结业、未通过或缺席）",
        "result.course_not_started" => "培训开始后才能记录结果",
        "result.hours_exceed_course" => "认定学时不能超过培训学时",
        "result.absent_with_hours" => "缺席不计学时",
        "account.username_taken" => "这个用户名已被使用，请换一个",
        "account.email_taken" => "这个电子邮箱已被另一个账户使用",
        "account.email_required" => "需要先填写电子邮箱，才能发送开通邀请",
        "account.email_not_persons" => "会员账户使用人员信息中的电子邮箱，请先修改人员信息",
        "account.person_has_account" => "此人已经有账户了",
        "account.already_active" => "账户已激活，不需要再发邀请；忘记密码可在登录页找回",
        "account.disabled" => "账户已停用，不能发送邀请",
        "registration.not_open" => {
            "这一年度的注册还没有开始（每年 12 月 1 日起办理下一年度的注册）"
        }
        "year.out_of_range" => "年度超出可办理的范围",
        "registration.override_note_required" => "破格批准须填写说明",
        "registration.duplicate" => "此人这一年度的注册已经通过",
        "registration.rule_still_unmet" => {
            "这一年度的注册已按规则未通过，规则仍未满足；如需批准，请勾选破格批准并填写说明"
        }
        "community.code_invalid" => "代码应为 12 位数字，且以所属街道（乡镇）的 9 位代码开头",
        "community.duplicate" => "这个代码的社区（村）已经存在",
        "community.kind_required" => "无法从代码判断类型，请选择社区或村",
        "community.confirm_required" => "请勾选确认后再停用",
        "account.last_bureau_admin" => "区里至少要保留一个正常使用的区文体新局管理员账户",
        "account.street_not_allowed" => "只有街道（乡镇）工作人员的账户属于街道，请不要选择街道",
        "account.person_not_allowed" => "只有会员账户属于人员",
        "audit.actor_unknown" => "没有这个用户名的账户",
        "policy.star_levels" => "星级时长须填写一星至五星共 5 个数值",
        "policy.star_order" => "星级时长须为正数，并且逐级递增",
        "text.control_character" | "body.control_character" | "text.bidi_control" => {
            "内容含有不可见的控制字符"
        }
        _ => "此项填写有误，请检查",
    }
}

/// The messages of a failed form, by field; `body` holds what belongs to no one field.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(HashMap<String, &'static str>);

impl FieldErrors {
    pub fn of(violations: &[FieldViolation]) -> Self {
        let mut map = HashMap::new();
        for v in violations {
            map.entry(v.field.clone()).or_insert(message(v.code));
        }
        Self(map)
    }

    pub fn one(field: &str, code: &str) -> Self {
        let mut map = HashMap::new();
        map.insert(field.to_owned(), message(code));
        Self(map)
    }

    /// The message for a field, or an empty string (templates test it with `is_empty`).
    pub fn get(&self, field: &str) -> &'static str {
        self.0.get(field).copied().unwrap_or("")
    }

    /// The violations of a 4xx that a form shows by its fields; `None` for any other error,
    /// which the error page answers.
    pub fn from_error(err: &AppError) -> Option<Self> {
        err.field_violations().map(Self::of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_chinese_even_for_an_unknown_code() {
        assert_eq!(message("password.too_short"), "密码至少需要 10 个字符");
        assert!(message("no.such_code").contains("有误"));
        let errors = FieldErrors::of(&[FieldViolation::new(
            "password",
            "password.equals_username",
            "x",
        )]);
        assert_eq!(errors.get("password"), "密码不能与用户名相同");
        assert_eq!(errors.get("other"), "");
    }
}
