/* domain/platform/audit_action.c - the names of audit actions (issue 14; S6 安全审计). */
#include "domain/platform/audit_action.h"

#include <stdio.h>
#include <string.h>

const struct audit_action audit_actions[] = {
    /* sign-in and access (domain/account, api/gate.c) */
    { "auth.login", "登录", "Sign in" },
    { "auth.logout", "退出登录", "Sign out" },
    { "auth.lockout", "账号锁定（登录失败过多）", "Account locked (too many failed sign-ins)" },
    { "auth.kiosk", "大屏登录", "Kiosk sign-in" },
    { "auth.totp.setup", "绑定双因素（生成密钥）", "Second factor set-up" },
    { "auth.totp.enable", "启用双因素", "Second factor enabled" },
    { "auth.totp.reset", "重置双因素", "Second factor reset" },
    { "auth.unblock", "解除登录限制", "Sign-in limit lifted" },
    { "access.denied", "越权访问被拒绝", "Access denied" },
    { "access.csrf", "跨站请求校验失败", "CSRF check failed" },
    /* accounts, tokens, webhooks, policy, audit */
    { "user.create", "新建用户", "User created" },
    { "user.update", "修改用户", "User changed" },
    { "user.password.change", "修改密码", "Password changed" },
    { "user.password.reset", "重置密码", "Password reset" },
    { "token.create", "创建接口令牌", "API token created" },
    { "token.revoke", "吊销接口令牌", "API token revoked" },
    { "webhook.create", "新建推送订阅", "Webhook created" },
    { "webhook.update", "修改推送订阅", "Webhook changed" },
    { "webhook.delete", "删除推送订阅", "Webhook deleted" },
    { "webhook.retry", "重发推送", "Webhook delivery retried" },
    { "settings.policy.update", "修改安全策略", "Security policy changed" },
    { "audit.verify", "校验审计日志", "Audit chain verified" },
    { "audit.reanchor", "审计日志重新锚定", "Audit chain re-anchored" },
    /* personal data */
    { "people.lookup", "查询人员", "Person lookup" },
    { "people.reveal", "查看人员完整信息", "Person details revealed" },
    { "people.export", "导出人员记录", "People export" },
    { "people.frequency", "查询检测频次", "Testing frequency lookup" },
    { "health.lookup", "查询流调记录", "Epidemiological record lookup" },
    { "health.reveal", "查看流调完整信息", "Epidemiological record revealed" },
    { "health.list", "查看流调列表", "Epidemiological records listed" },
    { "health.doctors", "查看卫健医生名单", "Health doctors listed" },
    { "health.doctor_reveal", "查看医生完整信息", "Health doctor revealed" },
    /* batches */
    { "batches.upload", "上传批量查询", "Batch uploaded" },
    { "batches.lookup", "批量查询比对", "Batch looked up" },
    { "batches.rerun", "重新比对批量查询", "Batch rerun" },
    { "batches.export", "导出批量查询结果", "Batch results exported" },
    { "batches.delete", "删除批量查询", "Batch deleted" },
    { "batches.rows", "查看批量查询结果行", "Batch result rows read" },
    { "batches.share", "共享批量查询", "Batch sharing changed" },
    { "batches.quota_warn", "批量查询量超过配额80%", "Batch lookups past 80% of quota" },
    { "audit.lookups", "查询某人被谁查询", "Lookups of a person queried" },
    { "integrity.failure", "数据完整性校验失败", "Integrity failure" },
    /* sec-integrity (issue 12): a tampered UI file */
    { "ui.tampered", "界面文件完整性校验失败（界面已停用）", "UI file tampered (UI withdrawn)" },
    /* testing business */
    { "sites.update", "修改采样点", "Site changed" },
    { "sites.delete", "删除采样点", "Site deleted" },
    { "samples.correct", "更正采样记录", "Sample corrected" },
    { "samples.delete", "删除采样记录", "Sample deleted" },
    { "transports.update", "修改转运记录", "Transport changed" },
    { "actuals.propose", "提出实检更正", "Correction proposed" },
    { "actuals.correct", "直接更正实检", "Actual corrected" },
    { "corrections.approve", "批准更正", "Correction approved" },
    { "corrections.reject", "驳回更正", "Correction rejected" },
    { "plans.lock", "锁定检测轮次", "Round locked" },
    { "plans.unlock", "解锁检测轮次", "Round unlocked" },
    /* places, cameras, video */
    { "places.update", "修改场所", "Place changed" },
    { "places.delete", "删除场所", "Place deleted" },
    { "toilets.import", "导入公厕", "Toilets imported" },
    { "cameras.update", "修改摄像头", "Camera changed" },
    { "cameras.status", "修改摄像头状态", "Camera status changed" },
    { "cameras.stream", "修改摄像头视频流", "Camera stream changed" },
    { "cameras.check", "摄像头巡检", "Camera checked" },
    { "bindings.add", "绑定摄像头", "Camera bound" },
    { "bindings.remove", "解绑摄像头", "Camera unbound" },
    { "bindings.undo", "撤销绑定", "Binding undone" },
    { "reconciliations.create", "新建对账", "Reconciliation created" },
    { "reconciliations.bind", "按对账绑定", "Reconciliation bound" },
    { "video.play", "播放视频", "Video played" },
    { "video.embed_sites", "修改视频嵌入站点", "Video embed sites changed" },
    /* exchange */
    { "exchange.emergency.ingest", "接收应急局数据", "Emergency bureau data received" },
    { "history.import", "导入历史数据", "History imported" },
    { "hotline.extract", "提取热线工单", "Hotline tickets extracted" },
    { "hotline.import", "导入热线工单", "Hotline tickets imported" },
    { "hotline.rule.create", "新建工单规则集", "Hotline rule set created" },
    { "hotline.rule.update", "修改工单规则集", "Hotline rule set changed" },
    { "hotline.run", "运行工单规则集", "Hotline rule set run" },
    { "hotline.sample", "工单抽样", "Hotline hits sampled" },
    { "hotline.mark", "标注抽样工单", "Hotline sample marked" },
    { "health.places", "查看流调场所", "Epidemiological places read" },
    /* platform operations */
    { "backup.create", "创建备份", "Backup created" },
    /* key rotation (issue 12, domain/platform/rotation.h) */
    { "keys.rotate.start", "开始数据密钥轮换", "Data-key rotation started" },
    { "keys.rotate.table", "数据密钥轮换（一张表完成）", "Data-key rotation: table done" },
    { "keys.index.start", "索引密钥轮换开始", "Blind-index key rotation started" },
    { "keys.index.table", "索引密钥轮换（一张表完成）", "Blind-index key rotation: table done" },
    { "keys.index.finish", "索引密钥轮换完成", "Blind-index key rotation finished" },
    { "keys.rotate.finish", "数据密钥轮换完成", "Data-key rotation finished" },
    { "keys.retire", "停用旧数据密钥", "Old data key retired" },
    { "settings.webhook_allow.update", "修改推送地址白名单", "Webhook allow-list changed" },
    /* retention and erasure (issue 12, wp-retain) */
    { "settings.retention.update", "修改数据保留期限", "Retention limits changed" },
    { "retention.purge", "清理过期数据", "Expired data purged" },
    { "people.erase", "按申请删除个人数据", "Person's data erased on request" },
    { "site_matches.run", "点位匹配", "Site matching run" },
    { "site_matches.review", "审核点位匹配", "Site match reviewed" },
};
const size_t audit_actions_count = sizeof audit_actions / sizeof audit_actions[0];

const struct audit_subject audit_subjects[] = {
    { "actual_corrections", "报送更正记录", "actual corrections", AUDIT_FAM_EXPORT },
    { "actuals", "实检报送", "actuals", AUDIT_FAM_EXPORT | AUDIT_FAM_INGEST },
    { "audit", "审计日志", "audit log", AUDIT_FAM_EXPORT },
    { "batches", "批量查询任务", "batches", AUDIT_FAM_EXPORT },
    { "cameras", "摄像头", "cameras", AUDIT_FAM_INGEST },
    { "checkins", "打卡记录", "check-ins", AUDIT_FAM_EXPORT | AUDIT_FAM_INGEST },
    { "corrections", "更正审核", "corrections", AUDIT_FAM_EXPORT },
    { "exchange.emergency.by_industry", "应急局统计(按行业)", "emergency figures by industry", AUDIT_FAM_EXPORT },
    { "exchange.emergency.by_subdistrict", "应急局统计(按街道)", "emergency figures by subdistrict", AUDIT_FAM_EXPORT },
    { "health_doctors", "卫健医生", "health doctors", AUDIT_FAM_EXPORT | AUDIT_FAM_INGEST },
    { "health_epi", "流调记录", "epidemiological records", AUDIT_FAM_EXPORT | AUDIT_FAM_INGEST },
    { "hotline_hits", "热线工单命中结果", "hotline hits", AUDIT_FAM_EXPORT },
    { "hotline_tickets", "热线工单", "hotline tickets", AUDIT_FAM_EXPORT },
    { "places", "场所", "places", AUDIT_FAM_INGEST },
    { "planned", "应检报送", "planned figures", AUDIT_FAM_EXPORT | AUDIT_FAM_INGEST },
    { "plans", "检测计划", "plans", AUDIT_FAM_EXPORT | AUDIT_FAM_INGEST },
    { "progress", "应检实检", "progress", AUDIT_FAM_EXPORT },
    { "results", "检测结果", "results", AUDIT_FAM_EXPORT | AUDIT_FAM_INGEST },
    { "samples", "采样记录", "samples", AUDIT_FAM_EXPORT | AUDIT_FAM_INGEST },
    { "site_history", "采样点变更记录", "site history", AUDIT_FAM_EXPORT },
    { "sites", "采样点", "sites", AUDIT_FAM_EXPORT | AUDIT_FAM_INGEST },
    { "tokens", "接口令牌", "API tokens", AUDIT_FAM_EXPORT },
    { "transports", "转运记录", "transports", AUDIT_FAM_EXPORT | AUDIT_FAM_INGEST },
    { "users", "用户", "users", AUDIT_FAM_EXPORT },
};
const size_t audit_subjects_count = sizeof audit_subjects / sizeof audit_subjects[0];

static const struct audit_subject *
audit_subject(const char *code, size_t n, unsigned family)
{
    for (size_t i = 0; i < audit_subjects_count; i++)
        if ((audit_subjects[i].families & family) && strlen(audit_subjects[i].code) == n &&
            !memcmp(audit_subjects[i].code, code, n))
            return &audit_subjects[i];
    return NULL;
}

bool
audit_action_name(const char *code, bool en, char *out, size_t cap)
{
    const struct audit_subject *s;
    size_t n = code ? strlen(code) : 0;
    out[0] = '\0';
    if (!n)
        return false;
    for (size_t i = 0; i < audit_actions_count; i++)
        if (!strcmp(audit_actions[i].code, code)) {
            snprintf(out, cap, "%s", en ? audit_actions[i].en : audit_actions[i].zh);
            return true;
        }
    if (!strncmp(code, "export.stats.", 13) && code[13]) {
        snprintf(out, cap, "%s", en ? "Statistics export" : "导出统计表");
        return true;
    }
    if (!strncmp(code, "export.", 7) && (s = audit_subject(code + 7, n - 7, AUDIT_FAM_EXPORT))) {
        snprintf(out, cap, en ? "Export: %s" : "导出Excel：%s", en ? s->en : s->zh);
        return true;
    }
    if (n > 7 && !strcmp(code + n - 7, ".ingest") && (s = audit_subject(code, n - 7, AUDIT_FAM_INGEST))) {
        snprintf(out, cap, en ? "Records received: %s" : "数据接入：%s", en ? s->en : s->zh);
        return true;
    }
    return false;
}
