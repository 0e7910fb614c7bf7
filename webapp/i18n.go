package webapp

import (
	"net/http"
	"strings"
)

// Languages the pages speak; the first is the default.
var languages = []string{"zh", "en"}

// messages holds every text of the pages: key → zh, en.
var messages = map[string][2]string{
	"app":                    {"无手机人员凭证服务", "Cards for people without phones"},
	"login":                  {"登录", "Sign in"},
	"logout":                 {"退出", "Sign out"},
	"logout_all":             {"在所有设备上退出", "Sign out everywhere"},
	"login_name":             {"账号", "Login"},
	"password":               {"密码", "Password"},
	"register":               {"凭邀请码注册", "Register with an invitation code"},
	"invite_code":            {"邀请码（社区办事处提供）", "Invitation code (from your community office)"},
	"display":                {"您的称呼", "Your name"},
	"people":                 {"亲友关系管理", "People I look after"},
	"office_people":          {"线下申领：人员", "Office: people"},
	"add_person":             {"添加人员", "Add a person"},
	"name":                   {"姓名", "Full name"},
	"category":               {"类别", "Category"},
	"cat_elder":              {"长者", "Elder"},
	"cat_child":              {"儿童", "Child"},
	"cat_companion":          {"同行人员", "Companion"},
	"cat_staff":              {"员工", "Staff"},
	"relation":               {"与您的关系", "Relation to you"},
	"photo":                  {"照片", "Photo"},
	"photo_hint":             {"JPEG 或 PNG，正面免冠；自动裁剪为证件照比例", "JPEG or PNG, face to camera; cropped to the card's photo box"},
	"save":                   {"保存", "Save"},
	"search":                 {"查找", "Search"},
	"no_people":              {"还没有人员。", "No one yet."},
	"cards":                  {"凭证", "Cards"},
	"no_cards":               {"还没有凭证。", "No card yet."},
	"issue":                  {"签发并打印凭证", "Issue and print a card"},
	"reissue":                {"补发凭证（旧凭证作废）", "Reissue (the old card stops working)"},
	"download_pdf":           {"下载 PDF", "Download PDF"},
	"report_lost":            {"挂失（立即作废）", "Report lost (stops it at once)"},
	"revoke":                 {"作废", "Revoke"},
	"replacement":            {"凭证已作废。需要补发新凭证吗？", "The card no longer works. Issue a replacement?"},
	"issue_new":              {"补发新凭证", "Issue a replacement"},
	"remove_person":          {"删除此人及其全部资料", "Remove this person and all their data"},
	"remove_confirm":         {"确认删除：凭证将作废，照片和记录将被删除，无法恢复。", "Confirm: cards stop working, photo and records are deleted for good."},
	"confirm":                {"确认", "Confirm"},
	"valid":                  {"有效", "Valid"},
	"revoked":                {"已作废", "Revoked"},
	"lost":                   {"已挂失", "Reported lost"},
	"expired":                {"已过期", "Expired"},
	"expires":                {"有效期至", "Valid until"},
	"number":                 {"卡号", "Card number"},
	"checkins":               {"最近登记（30 天）", "Recent check-ins (30 days)"},
	"no_checkins":            {"最近没有登记。", "No check-ins lately."},
	"time":                   {"时间", "Time"},
	"venue":                  {"场所", "Venue"},
	"decision":               {"结果", "Result"},
	"doc_check":              {"核验身份证件", "Identity document checked"},
	"doc_type":               {"证件类型", "Document type"},
	"doc_id_card":            {"居民身份证", "ID card"},
	"doc_household_register": {"户口簿", "Household register"},
	"doc_passport":           {"护照", "Passport"},
	"doc_other":              {"其他", "Other"},
	"last4":                  {"证件号码后四位（不保存完整号码）", "Last four characters of the number (the full number is never stored)"},
	"last4_short":            {"后四位", "Last four"},
	"record":                 {"记录", "Record"},
	"checked_by":             {"核验人", "Checked by"},
	"no_doc_checks":          {"尚未核验证件。", "No document checked yet."},
	"issuer":                 {"签发机构", "Issuer"},
	"sheet":                  {"批量打印 A4（每页 8 张）", "Print an A4 sheet (8 a page)"},
	"sheet_hint":             {"勾选人员；没有有效凭证的将先签发。", "Tick people; those without a valid card get one first."},
	"invites":                {"邀请码", "Invitation codes"},
	"new_invite":             {"生成邀请码", "New invitation code"},
	"invite_made":            {"请把此邀请码交给家属（7 天内有效，仅可使用一次）：", "Give this code to the family (valid 7 days, once):"},
	"users":                  {"账号管理", "Accounts"},
	"role":                   {"角色", "Role"},
	"role_family":            {"家属", "Family"},
	"role_operator":          {"社区办事处", "Community office"},
	"role_staff":             {"场所工作人员", "Venue staff"},
	"role_admin":             {"管理员", "Administrator"},
	"issuers_csv":            {"签发机构（逗号分隔，办事处）", "Issuers (comma-separated, office)"},
	"venues_csv":             {"场所（逗号分隔，工作人员）", "Venues (comma-separated, staff)"},
	"create":                 {"创建", "Create"},
	"audit":                  {"审计日志", "Audit log"},
	"actor":                  {"操作人", "Actor"},
	"action":                 {"操作", "Action"},
	"target":                 {"对象", "Target"},
	"desk":                   {"来访登记", "Staff desk"},
	"desk_manual":            {"代他人登记", "Register on behalf"},
	"desk_undo":              {"撤销登记", "Undo a check-in"},
	"desk_today":             {"今日来访", "Today's check-ins"},
	"desk_count_today":       {"今日", "Today"},
	"desk_count_hour":        {"本小时", "This hour"},
	"desk_count_in":          {"现在馆内", "In now"},
	"desk_refused":           {"拒绝（按原因）", "Refused, by reason"},
	"desk_none":              {"今天还没有登记。", "No check-in yet today."},
	"desk_updated":           {"每 15 秒自动刷新；更新于 ", "Reloads every 15 seconds; updated "},
	"desk_lookup":            {"按凭证号查找", "Look up by card number"},
	"desk_card_number":       {"凭证上印的号码（如 76AC-E3FA）", "Number printed on the card (e.g. 76AC-E3FA)"},
	"desk_lookup_none":       {"近 30 天本场所没有这张凭证的记录。", "No check-in with this card here in the last 30 days."},
	"desk_export":            {"导出当日 CSV", "Export the day as CSV"},
	"desk_export_xlsx":       {"导出当日 Excel", "Export the day as Excel"},
	"desk_date":              {"日期", "Date"},
	"desk_manual_hint":       {"凭证无法识别或没有凭证时使用。姓名只保存遮挡后的形式（如 王*英）。", "For a card that fails or a person without one. Only the masked name is kept (e.g. W*** Y***)."},
	"desk_masked_name":       {"姓名（遮挡保存）", "Name (kept masked)"},
	"desk_reason":            {"原因", "Reason"},
	"desk_reason_hint":       {"如：凭证损坏、未带凭证", "e.g. card damaged, card left at home"},
	"desk_register":          {"登记", "Register"},
	"desk_undo_hint":         {"原记录保留，另记一条撤销记录，并写入审计日志。", "The check-in is kept; an undo record is added and audited."},
	"desk_undo_reason_hint":  {"如：误登记、重复登记", "e.g. registered by mistake, registered twice"},
	"desk_manual_tag":        {"人工", "manual"},
	"desk_undone_tag":        {"已撤销", "undone"},
	"desk_undo_tag":          {"撤销", "undo"},
	"cancel":                 {"返回", "Back"},
	"error":                  {"出错了", "Something went wrong"},
	"back":                   {"返回", "Back"},
	"bad_login":              {"账号或密码错误。", "Wrong login or password."},
	"rate_limited":           {"失败次数过多，请 15 分钟后再试。", "Too many failed attempts; try again in 15 minutes."},
	"bad_invite":             {"邀请码无效、已使用或已过期。", "The invitation code is unknown, used or expired."},
	"not_found":              {"找不到该页面或您无权查看。", "Not found, or not yours to see."},
	"forbidden":              {"表单已过期，请返回重试。", "The form has expired; go back and try again."},
	"bad_request":            {"输入有误：", "Please check what you entered: "},
	"no_sms":                 {"本系统不发送短信；邀请码由社区办事处当面提供。", "No text messages are sent; the community office hands out invitation codes in person."},
	"decision_pass":          {"通过", "Passed"},
	"decision_already":       {"已登记", "Already checked in"},
	"decision_fail":          {"未通过", "Refused"},
	"decision_fault":         {"设备故障", "Device fault"},
	"decision_exit":          {"离场", "Left"},
	"decision_full":          {"场所已满", "Venue full"},
	"decision_undo":          {"已撤销", "Undone"},
	"decision_not_entered":   {"未进入", "Did not enter"},
	"home":                   {"首页", "Home"},
	"signed_in_as":           {"已登录：", "Signed in as "},
	"print_hint":             {"打印时请选择“实际大小”（100%），不要缩放。", "Print at actual size (100 %), no scaling."},
}

// lang picks the page language: the lang cookie, else Accept-Language.
func lang(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil {
		for _, l := range languages {
			if c.Value == l {
				return l
			}
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		for _, l := range languages {
			if tag == l || strings.HasPrefix(tag, l+"-") {
				return l
			}
		}
	}
	return languages[0]
}

// translate returns the text of key in language l; an unknown key shows
// itself, so a missing text is visible rather than blank.
func translate(l, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if l == "en" {
		return m[1]
	}
	return m[0]
}
