/* core/i18n_table.h - the message catalogue (issue 14; included by core/i18n.c only).
 *
 * I18N_MSG(reason, English format, Chinese format). The English format is the text the
 * code writes (req_fail, a `why` buffer); its conversions match any text and are carried,
 * in order, into the Chinese format's conversions (same count; tests/unit/core/test_i18n.c
 * checks). The reason is a stable machine code, sent as error.reason: never rename one.
 * Rows are tried in order: put a specific row before a general one that also matches.
 */

/* ---- uploads: file type and reading (io/table*.c) ---- */
I18N_MSG("file_empty", "the file is empty", "文件是空的")
I18N_MSG("file_not_table", "the file is not an Excel workbook or CSV",
         "不是有效的 Excel 或 CSV 文件")
I18N_MSG("file_binary", "the file is not an Excel workbook or CSV (it holds binary data)",
         "不是有效的 Excel 或 CSV 文件（文件含二进制数据）")
I18N_MSG("file_bad_zip",
         "the file is not an Excel workbook or CSV (it looks like a zip archive but is not a valid one)",
         "不是有效的 Excel 或 CSV 文件（像是压缩包，但已损坏）")
I18N_MSG("file_other_type", "the file is not an Excel workbook or CSV (it is a %s file)",
         "不是有效的 Excel 或 CSV 文件（它是 %s 文件）")
I18N_MSG("file_xls",
         "the file is an Excel 97-2003 workbook (.xls) or a password-protected workbook; remove the "
         "password or save it as .xlsx and upload again",
         "文件是 Excel 97-2003 工作簿（.xls）或设有密码的工作簿：请在 Excel 中去掉密码或“另存为” .xlsx 后重新上传")
I18N_MSG("file_xlsb", "the file is an Excel binary workbook (.xlsb); save it as .xlsx and upload again",
         "文件是 Excel 二进制工作簿（.xlsb）：请“另存为” .xlsx 后重新上传")
I18N_MSG("file_zip_not_xlsx", "the file is a zip archive, not an Excel workbook (.xlsx)",
         "文件是压缩包，不是 Excel 工作簿（.xlsx）")
I18N_MSG("file_markup",
         "the file is a web page or XML file, not an Excel workbook or CSV; open it in Excel and save it as .xlsx",
         "文件是网页或 XML 文件，不是 Excel 或 CSV 文件：请用 Excel 打开并“另存为” .xlsx")
I18N_MSG("file_bad_utf8",
         "the file is marked as UTF-8 but is not valid UTF-8; save it again as \"CSV UTF-8\"",
         "文件标记为 UTF-8 编码但内容不是有效的 UTF-8：请重新保存为“CSV UTF-8”")
I18N_MSG("file_encoding_unsupported", "the file's text encoding is not supported on this server",
         "服务器不支持该文件的文字编码")
I18N_MSG("file_unreadable", "the file cannot be read", "文件无法读取")
I18N_MSG("file_unopenable", "the file cannot be opened", "文件无法打开")
I18N_MSG("workbook_no_sheets", "the workbook has no sheets", "工作簿中没有工作表")
I18N_MSG("workbook_encrypted", "the workbook is encrypted; remove the password and upload again",
         "工作簿已加密：请去掉密码后重新上传")
I18N_MSG("workbook_sheet_damaged", "the workbook is damaged (sheet, XML line %lu: %s)",
         "工作簿已损坏（工作表第 %lu 行 XML：%s）")
I18N_MSG("workbook_part_damaged_xml", "the workbook is damaged (%s, XML line %lu: %s)",
         "工作簿已损坏（%s 第 %lu 行 XML：%s）")
I18N_MSG("workbook_sheets_missing", "the workbook is damaged (its sheets are missing)",
         "工作簿已损坏（缺少工作表）")
I18N_MSG("workbook_rels_missing", "the workbook is damaged (its relationships are missing)",
         "工作簿已损坏（缺少关系文件）")
I18N_MSG("workbook_part_missing", "the workbook is damaged (its %s are missing)", "工作簿已损坏（缺少 %s）")
I18N_MSG("workbook_part_nosize", "the workbook is damaged (%s: no size)", "工作簿已损坏（%s 没有大小）")
I18N_MSG("workbook_part_long", "the workbook is damaged (%s is longer than declared)",
         "工作簿已损坏（%s 比声明的长）")
I18N_MSG("workbook_damaged_detail", "the workbook is damaged (%s: %s)", "工作簿已损坏（%s：%s）")
I18N_MSG("workbook_damaged", "the workbook is damaged (%s)", "工作簿已损坏（%s）")
I18N_MSG("workbook_unreadable", "the workbook cannot be read (%s)", "工作簿无法读取（%s）")
I18N_MSG("workbook_too_many_parts", "the workbook has more than %d parts", "工作簿的组成部分超过 %d 个")
I18N_MSG("workbook_part_too_large", "the workbook is too large (%s is over %s MiB uncompressed)",
         "工作簿过大（%s 解压后超过 %s MiB）")
I18N_MSG("workbook_inflated_too_large", "the workbook expands to more than %s MiB in all",
         "工作簿解压后总计超过 %s MiB")
I18N_MSG("workbook_zip_bomb",
         "the workbook expands to more than %d times its compressed size (%s); it is refused as a possible zip bomb",
         "工作簿解压后超过压缩大小的 %d 倍（%s），疑似压缩炸弹，已拒绝")
I18N_MSG("workbook_styles_too_large", "the workbook's styles exceed %s MiB", "工作簿的样式超过 %s MiB")

I18N_MSG("csv_encoding", "csv row %s: the text is neither UTF-8 nor GB18030 (GBK)",
         "CSV 第 %s 行：文字既不是 UTF-8 也不是 GB18030（GBK）编码，请另存为“CSV UTF-8”")
I18N_MSG("csv_utf16", "csv row %s: the text is not valid UTF-16", "CSV 第 %s 行：文字不是有效的 UTF-16 编码")
I18N_MSG("csv_unparsable", "csv row %s: the text cannot be parsed as CSV", "CSV 第 %s 行：内容无法按 CSV 解析")
I18N_MSG("csv_nul", "csv row %s: the text holds a NUL character", "CSV 第 %s 行：文字中含有空字符")
I18N_MSG("csv_cell_long", "csv row %s: a cell is longer than 32767 bytes", "CSV 第 %s 行：有单元格超过 32767 字节")
I18N_MSG("csv_wide", "csv row %s: a value lies beyond column 256", "CSV 第 %s 行：有数据超出第 256 列")
I18N_MSG("csv_rows", "csv row %s: the file has more than 2000000 rows", "CSV 第 %s 行：文件超过 2000000 行")
I18N_MSG("csv_row_text", "csv row %s: the row holds too much text", "CSV 第 %s 行：该行文字过多")
I18N_MSG("sheet_cell_long", "sheet row %s: a cell is longer than %d bytes", "工作表第 %s 行：有单元格超过 %d 字节")
I18N_MSG("sheet_wide", "sheet row %s: a value lies beyond column %d (IV)", "工作表第 %s 行：有数据超出第 %d 列（IV）")

/* ---- batches (domain/batch, api/batch) ---- */
I18N_MSG("batch_no_id_column", "no column of ID numbers found", "未找到身份证号码列")
I18N_MSG("batch_no_rows", "the file has no rows below its header", "表头下面没有数据行")
I18N_MSG("batch_too_many_rows", "the file has more than %llu rows", "文件超过 %llu 行")
I18N_MSG("batch_text_too_large", "the file's cells hold more than %zu MiB of text",
         "文件单元格中的文字超过 %zu MiB")
I18N_MSG("file_too_large", "the file may have at most %zu MiB", "文件不能超过 %zu MiB")
I18N_MSG("form_file_too_large", "'file' may have at most %zu MiB", "上传的文件不能超过 %zu MiB")
I18N_MSG("form_no_file", "the form has no 'file' field", "没有选择要上传的文件")
I18N_MSG("form_field_twice", "the form has two '%s' fields", "表单中有两个“%s”字段")
I18N_MSG("batch_days_range", "'days' must be from 1 to %d", "天数必须在 1 到 %d 之间")
I18N_MSG("batch_status_choice", "'status' must be queued, running, done or failed",
         "状态应为 queued、running、done 或 failed 之一")
I18N_MSG("batch_rows_choice", "'rows' must be all, not_found or invalid",
         "导出范围只能是全部（all）、未检测（not_found）或无效（invalid）")
I18N_MSG("batch_not_found", "no such batch", "该批次不存在")
/* issue 12 "Bulk lookups" (sec-bulk): quota, owner-only cells, the auditor's lookup query */
I18N_MSG("batch_quota_exceeded", "the batch has %s rows but only %s of today's %s lookups are left",
         "本批次共 %s 行，超出今日批量查询配额（剩余 %s 行，每日上限 %s 行）")
I18N_MSG("batch_quota_used_up", "today's batch lookup quota of %s rows is used up",
         "今日批量查询配额（%s 行）已用完")
I18N_MSG("batch_not_shared", "only the uploader may export this batch unless it is shared",
         "该批次未共享，只有上传人可以导出")
I18N_MSG("batch_share_owner", "only the uploader may share a batch", "只有上传人可以共享该批次")
I18N_MSG("lookup_audit_id_required", "'id_number' is required", "请填写身份证号")
I18N_MSG("batch_busy", "the batch is already queued or running", "该批次已在排队或正在处理")
I18N_MSG("batch_delete_owner", "only the uploader or a district account may delete a batch",
         "只有上传人或区级账号可以删除该批次")
I18N_MSG("batch_row_status", "'status' is not a row status code", "状态不是有效的行状态代码")
I18N_MSG("batch_no_results_yet", "the batch has no results yet", "该批次还没有结果")
I18N_MSG("batch_no_results", "the batch has no results yet (status '%s')", "该批次还没有结果（状态“%s”）")
I18N_MSG("batch_row_unreadable", "a stored row cannot be opened", "有一行已存数据无法解密")
I18N_MSG("batch_rows_unreadable", "the stored rows cannot be read", "已存的数据行无法读取")
I18N_MSG("export_too_many_rows", "%lld rows are more than one sheet holds (%llu): narrow the filters",
         "%lld 行超过一个工作表的上限（%llu 行）：请缩小筛选范围")

/* ---- passwords and login (domain/platform/policy.c, domain/account, api/account) ---- */
I18N_MSG("password_bad_chars", "the password contains characters that are not allowed",
         "密码含有不允许的字符")
I18N_MSG("password_too_short", "the password must have at least %d characters", "密码至少需要 %d 个字符")
I18N_MSG("password_too_long", "the password must have at most 128 characters", "密码最多 128 个字符")
I18N_MSG("password_classes",
         "the password must mix at least %d of: lower case, upper case, digits, symbols",
         "密码须包含小写字母、大写字母、数字、符号中的至少 %d 种")
I18N_MSG("password_common", "the password is too common", "密码过于常见")
I18N_MSG("password_has_username", "the password must not contain the user name", "密码不能包含用户名")
I18N_MSG("password_unchanged", "the new password must differ from the current one", "新密码不能与当前密码相同")
I18N_MSG("password_current_wrong", "the current password is wrong", "当前密码不正确")
I18N_MSG("login_locked", "too many failed attempts; try again after %s",
         "登录失败次数过多，请在 %s 之后再试")
I18N_MSG("login_rate_limited", "too many failed attempts from here; wait %s seconds",
         "失败次数过多，请等待 %s 秒后再试")
I18N_MSG("login_totp_wrong", "the one-time code is wrong or was already used; wait for a new code",
         "动态验证码错误或已使用过，请等待新的验证码")
I18N_MSG("totp_mismatch", "the code does not match; check the time on your phone and try again",
         "验证码不匹配：请检查手机时间后重试")
I18N_MSG("totp_already", "two-factor authentication is already enabled", "双因素认证已经启用")
I18N_MSG("totp_users_only", "only users enrol a second factor", "只有用户账号可以绑定第二因素")
I18N_MSG("password_users_only", "only users have passwords", "只有用户账号有密码")
I18N_MSG("profile_users_only", "only user sessions have a profile", "只有用户会话有个人资料")
I18N_MSG("own_password_page", "use the change-password page for your own account",
         "修改自己的密码请使用“修改密码”页面")

/* ---- users (domain/account/user.c) ---- */
I18N_MSG("user_admin_console", "administrator roles are assigned at the server console ('jiayuan user add')",
         "管理员角色只能在服务器控制台分配（jiayuan user add）")
I18N_MSG("user_admin_account_console", "administrator accounts are managed at the server console ('jiayuan user')",
         "管理员账号只能在服务器控制台管理（jiayuan user）")
I18N_MSG("token_data_scopes_only", "tokens may carry only data scopes (no administration, audit or reveal)",
         "接口令牌只能授予数据权限（不含管理、审计和明文查看）")
I18N_MSG("token_scope_exceeds_creator", "a token may not carry a scope its creator does not hold",
         "接口令牌的权限不能超出创建者本人的权限")
I18N_MSG("token_subdistrict_exceeds_creator", "a token may not reach beyond its creator's subdistrict",
         "接口令牌的数据范围不能超出创建者所属街道")
I18N_MSG("webhook_host_not_allowed", "the webhook's host is not on the allow-list the security administrator keeps",
         "推送地址的主机不在安全管理员维护的白名单中")
I18N_MSG("webhook_https_only", "'url' must start with https:// (plain http only to a listed loopback host)",
         "推送地址必须以 https:// 开头（仅白名单中的本机地址可用 http）")
I18N_MSG("webhook_allow_entry", "an allow-list entry must be a lower-case host name, '*.' and a domain, or an IP address",
         "白名单条目必须是小写主机名、“*.”加域名或 IP 地址")
I18N_MSG("webhook_allow_too_many", "the allow-list may hold at most 64 entries", "白名单最多 64 条")
I18N_MSG("webhook_allow_hosts", "'hosts' must be an array of at most 64 host names", "“hosts”必须是不超过 64 个主机名的数组")
I18N_MSG("ingest_source_foreign", "the source '%s' belongs to another writer", "数据来源“%s”已绑定给其他写入方")
I18N_MSG("policy_pbkdf2_range", "'pbkdf2_iterations' must be between %d and %d",
         "密码哈希迭代次数必须在 %d 到 %d 之间（过高会拖慢每次登录）")
I18N_MSG("audit_verify_after", "'after' must be an audit entry id", "“after”必须是审计记录编号")
I18N_MSG("audit_verify_limit", "'limit' must be between 1 and 100000", "“limit”必须在 1 到 100000 之间")
I18N_MSG("user_role_unknown", "'role' is not a known role", "角色不存在")
I18N_MSG("user_needs_subdistrict", "a subdistrict account needs 'subdistrict'", "街道账号必须选择所属街道")
I18N_MSG("user_subdistrict_only", "only subdistrict accounts have a 'subdistrict'", "只有街道账号才有所属街道")
I18N_MSG("user_subdistrict_unknown", "'subdistrict' is not a known subdistrict code", "街道代码不存在")
I18N_MSG("user_name_format", "'username' must be 3-32 characters of a-z, 0-9, '_', '.', '-'",
         "用户名须为 3-32 个字符，只能包含 a-z、0-9、“_”、“.”、“-”")
I18N_MSG("user_self_lockout", "you cannot change your own role or lock yourself out",
         "不能修改自己的角色，也不能锁定自己")
I18N_MSG("user_real_name_long", "'real_name' must have at most %zu characters", "姓名不能超过 %zu 个字")
I18N_MSG("field_too_long_chars", "'%s' must have at most %zu characters", "“%s”不能超过 %zu 个字")
I18N_MSG("user_real_name_chars", "'real_name' contains characters that are not allowed", "姓名含有不允许的字符")
I18N_MSG("user_org_long", "'organisation' must have at most %zu characters", "所属单位不能超过 %zu 个字")
I18N_MSG("user_org_chars", "'organisation' contains characters that are not allowed", "所属单位含有不允许的字符")
I18N_MSG("user_phone_format", "'phone' must be a phone number of 7-20 digits",
         "联系电话格式不正确，应为 7-20 位数字（可含“-”和空格）")
I18N_MSG("user_state_choice", "'state' must be normal, locked or disabled", "账号状态只能是正常、已锁定或已停用")
I18N_MSG("audit_result_choice", "'result' must be a result word of at most 32 letters",
         "结果只能是不超过 32 个字母的结果代码")
I18N_MSG("kiosk_read_only", "a kiosk session is read-only", "大屏会话只能查看")

/* ---- requests in general (http/, api/api.c, api/gate.c) ---- */
I18N_MSG("body_too_large", "the body may have at most %zu bytes", "请求内容不能超过 %zu 字节")
I18N_MSG("body_type", "the body must be '%s'", "请求内容类型必须是“%s”")
I18N_MSG("body_records", "the body must be a JSON array of records", "请求内容必须是记录组成的 JSON 数组")
I18N_MSG("csrf_token", "missing or wrong 'X-CSRF-Token'", "缺少或错误的 X-CSRF-Token，请刷新页面后重试")
I18N_MSG("permission_required", "permission '%s' is required", "需要“%s”权限")
I18N_MSG("reveal_permission", "permission 'pii.reveal' is required to reveal", "查看完整信息需要“pii.reveal”权限")
I18N_MSG("reveal_reason", "'reason' is required to reveal", "查看完整信息必须填写理由")
I18N_MSG("reveal_reason_id", "'reason' must not hold an ID number", "理由中不能包含身份证号")
I18N_MSG("reveal_flag", "'reveal' must be 0 or 1", "reveal 只能是 0 或 1")
I18N_MSG("reveal_nothing", "this list has no masked columns to reveal", "此列表没有可显示的脱敏列")
I18N_MSG("not_found_resource", "no such resource", "资源不存在")
I18N_MSG("not_found_file", "no such file", "文件不存在")
I18N_MSG("not_found_statistic", "no such statistic", "统计项不存在")
I18N_MSG("not_found_segment", "no such segment", "视频片段不存在")
I18N_MSG("not_found_place", "no such place", "场所不存在")
I18N_MSG("not_found_camera", "no such camera", "摄像头不存在")
I18N_MSG("limit_range", "'limit' must be a whole number from 1 to %d", "每页条数必须是 1 到 %d 的整数")
I18N_MSG("cursor_bad", "'next' is not a valid cursor", "翻页参数无效，请从第一页重新加载")
I18N_MSG("time_format", "'%s' must be milliseconds since the epoch or an RFC 3339 time",
         "“%s”必须是毫秒时间戳或 RFC 3339 时间")
I18N_MSG("time_ms", "'%s' must be milliseconds since the epoch", "“%s”必须是毫秒时间戳")
I18N_MSG("field_too_long_bytes", "'%s' may have at most %zu bytes", "“%s”不能超过 %zu 字节")
I18N_MSG("field_too_long", "'%s' is too long", "“%s”太长")
I18N_MSG("field_range", "'%s' is out of range", "“%s”超出允许范围")
I18N_MSG("field_bad_chars", "'%s' contains characters that are not allowed", "“%s”含有不允许的字符")
I18N_MSG("field_not_id", "'%s' is not a valid ID number (%s)", "“%s”不是有效的身份证号（%s）")
I18N_MSG("policy_range", "a policy value is out of range", "安全策略的取值超出范围")
I18N_MSG("format_choice", "'format' must be json or xlsx", "格式只能是 json 或 xlsx")
I18N_MSG("crs_choice", "'crs' must be wgs84, gcj02 or bd09", "坐标系只能是 wgs84、gcj02 或 bd09")
I18N_MSG("ui_integrity", "the UI failed its integrity check and is not served", "界面文件完整性校验失败，暂停提供")

/* ---- imports and review (domain/places, domain/cameras, domain/testing) ---- */
I18N_MSG("import_no_name_header", "no header row with a name column (名称 / name) in the first 20 rows",
         "前 20 行中没有含“名称”列的表头")
I18N_MSG("import_no_device_header", "no header row naming the device ID column (国标编码)",
         "没有含设备编码列（国标编码）的表头")
I18N_MSG("review_plan_locked", "plan '%s' is locked", "本轮“%s”已锁定")
I18N_MSG("import_no_toilet_header",
         "no header row naming the toilet and its coordinates or cameras (公厕名称, 经度/纬度 or 坐标, 摄像头编码)",
         "没有含公厕名称及坐标或摄像头的表头（公厕名称、经度/纬度或坐标、摄像头编码）")

/* ---- data exchange (domain/exchange): the hotline rule, ticket sheets, the emergency bureau ---- */
I18N_MSG("hotline_rule_term_missing", "rule: a term is missing at offset %s", "规则有误：第 %s 字节处缺少检索词")
I18N_MSG("hotline_rule_op_first", "rule: an operator needs a term before it at offset %s",
         "规则有误：第 %s 字节处的运算符前面缺少检索词")
I18N_MSG("hotline_rule_empty_phrase", "rule: empty phrase at offset %s", "规则有误：第 %s 字节处的引号内为空")
I18N_MSG("hotline_rule_paren_open", "rule: missing ')' for the '(' at offset %s",
         "规则有误：第 %s 字节处的“(”缺少对应的“)”")
I18N_MSG("hotline_rule_nested", "rule: nested too deeply at offset %s", "规则有误：第 %s 字节处括号嵌套过深")
I18N_MSG("hotline_rule_terms", "rule: too many terms at offset %s", "规则有误：第 %s 字节处检索词过多")
I18N_MSG("hotline_rule_paren_close", "rule: unexpected ')' at offset %s", "规则有误：第 %s 字节处多出“)”")
I18N_MSG("hotline_rule_phrase_open", "rule: unterminated phrase at offset %s", "规则有误：第 %s 字节处的引号未闭合")
I18N_MSG("hotline_rule_long", "rule: more than %s bytes", "规则超过 %s 字节")
I18N_MSG("hotline_synonyms_words", "synonyms: more than %s words", "同义词超过 %s 个")
I18N_MSG("hotline_synonyms_long", "synonyms: more than %s bytes", "同义词超过 %s 字节")
I18N_MSG("hotline_no_header_rows", "no ticket header (工单编号 with 标题 or 诉求内容) in the first %s rows",
         "前 %s 行中没有工单表头（工单编号及标题或诉求内容）")
I18N_MSG("hotline_no_header", "no ticket header (工单编号 with 标题 or 诉求内容) found",
         "没有找到工单表头（工单编号及标题或诉求内容）")
I18N_MSG("hotline_categories", "more than %s category filters", "问题分类筛选超过 %s 个")
/* stored tickets, rule sets, runs and samples (domain/exchange/hotline_store.h, migration 0017) */
I18N_MSG("hotline_rule_field", "'%s' must be text of %s to %s bytes", "“%s”应为 %s 到 %s 字节的文字")
I18N_MSG("hotline_period", "'from' must be before 'to'", "开始时间应早于结束时间")
I18N_MSG("hotline_sample_n", "'n' must be 1 to %s", "抽样数应为 1 到 %s")
I18N_MSG("hotline_sample_empty", "the run has no hits to sample", "该次运行没有命中工单，无法抽样")
I18N_MSG("hotline_rule_not_found", "no such rule set", "该规则集不存在")
I18N_MSG("hotline_run_not_found", "no such run", "该次运行不存在")
I18N_MSG("hotline_sample_not_found", "no such sample", "该抽样不存在")
I18N_MSG("hotline_sample_item_not_found", "no such ticket in the sample", "该工单不在此次抽样中")
I18N_MSG("hotline_district_only", "the hotline is district-wide: a subdistrict account cannot use it",
         "12345工单为全区数据，街道账号不能使用")
I18N_MSG("hotline_time", "'%s' must be a time (ms, RFC 3339 or YYYY-MM-DD HH:MM:SS)",
         "“%s”应为时间（毫秒数、RFC 3339 或 YYYY-MM-DD HH:MM:SS）")
I18N_MSG("hotline_whole_number", "'%s' must be a whole number", "“%s”应为整数")
I18N_MSG("hotline_row_no_number", "no ticket number", "缺少工单编号")
I18N_MSG("hotline_row_number_long", "ticket number longer than 64 bytes", "工单编号超过 64 字节")
I18N_MSG("hotline_row_no_time", "no received time", "缺少受理时间")
I18N_MSG("hotline_row_time", "received time is not a date and time", "受理时间不是有效的日期时间")
I18N_MSG("hotline_row_text", "a text field is longer than 8192 bytes", "有文字字段超过 8192 字节")
I18N_MSG("hotline_row_phone", "phone has more than 23 digits", "联系电话超过 23 位数字")
I18N_MSG("exchange_rows_required", "a source and 1 to %s rows are required", "需要数据来源和 1 到 %s 行数据")
I18N_MSG("exchange_rows_max", "more than %s data rows", "数据超过 %s 行")
I18N_MSG("exchange_row_required", "row %s: '%s' is required", "第 %s 行：缺少“%s”")
I18N_MSG("exchange_row_time", "row %s: '%s' must be a time (ms, RFC 3339 or YYYY-MM-DD HH:MM:SS)",
         "第 %s 行：“%s”应为时间（毫秒数、RFC 3339 或 YYYY-MM-DD HH:MM:SS）")
I18N_MSG("exchange_row_text", "row %s: '%s' must be text of 1 to %s bytes", "第 %s 行：“%s”应为 1 到 %s 字节的文字")
I18N_MSG("exchange_row_difference", "row %s: 'difference' must be a whole number", "第 %s 行：差值应为整数")
I18N_MSG("exchange_row_industry_max", "row %s: 'industry_counts' must be an object of at most %s counts",
         "第 %s 行：分行业人数应为对象，最多 %s 项")
I18N_MSG("exchange_row_industry", "row %s: 'industry_counts' must map industry names to whole numbers",
         "第 %s 行：分行业人数应为行业名称到整数的对应")
I18N_MSG("exchange_row_counts", "row %s: 'planned' and 'actual' must be whole numbers from 0 to %s",
         "第 %s 行：计划数和实际数应为 0 到 %s 的整数")
I18N_MSG("exchange_row_one_plan", "row %s: all rows of one call must be of one plan", "第 %s 行：一次提交的所有行应属于同一检测轮次")
I18N_MSG("exchange_row_object", "row %s: not an object", "第 %s 行：不是对象")
I18N_MSG("exchange_row_unknown", "row %s: unknown field '%s'", "第 %s 行：未知字段“%s”")
I18N_MSG("emergency_no_header", "no header row naming 街道 or 行业 and 实际/实检 in the first 5 rows",
         "前 5 行中没有含街道或行业及实际/实检列的表头")
I18N_MSG("health_places_window", "'to' must be after 'from'", "结束时间应晚于开始时间")
I18N_MSG("health_subdistrict_name", "'subdistrict' names no known subdistrict", "街道名称不存在")

/* ---- event streams (api/notify/events.c, issue 12) ---- */
I18N_MSG("events_no_topic", "no requested topic is readable with this account's permissions",
         "本账号无权订阅所请求的任何事件主题")
I18N_MSG("events_too_many", "too many open event streams for this account",
         "本账号打开的事件推送连接过多，请先关闭其他页面")

/* ---- forms, workbook limits, place imports, batch runs (found by the coverage test) ---- */
I18N_MSG("form_refused", "the upload was refused", "上传被拒绝")
I18N_MSG("form_too_many_parts", "the form has too many parts", "表单的组成部分过多")
I18N_MSG("form_boundary_line", "a boundary line is malformed", "表单分隔行格式有误")
I18N_MSG("form_part_header", "a part header is malformed", "表单某部分的头部格式有误")
I18N_MSG("form_folded_headers", "folded part headers are not supported", "不支持折行的表单头部")
I18N_MSG("form_header_no_name", "a part header has no name", "表单某部分的头部没有名称")
I18N_MSG("form_two_dispositions", "a part has two Content-Disposition headers", "表单某部分有两个 Content-Disposition 头")
I18N_MSG("form_not_form_data", "a part is not form-data", "表单某部分不是 form-data")
I18N_MSG("form_field_name", "a part's field name is malformed or too long", "表单字段名格式有误或过长")
I18N_MSG("form_file_name", "a part's file name is malformed or too long", "文件名格式有误或过长")
I18N_MSG("form_headers_long", "a part's headers are too long", "表单某部分的头部过长")
I18N_MSG("form_unterminated", "the body ends before the closing boundary", "表单内容不完整（缺少结束分隔符），请重新上传")
I18N_MSG("form_no_part", "the body holds no form part", "表单中没有任何内容")
I18N_MSG("sheet_cell_ref", "sheet row %lu: a cell reference is malformed", "工作表第 %lu 行：单元格引用格式有误")
I18N_MSG("sheet_sst_ref", "sheet row %lu: a shared-string reference is not a number", "工作表第 %lu 行：共享字符串引用不是数字")
I18N_MSG("sheet_sst_missing", "sheet row %lu: a cell refers to shared string %lu, which does not exist",
         "工作表第 %lu 行：单元格引用了不存在的共享字符串 %lu")
I18N_MSG("sheet_row_text", "sheet row %lu: the row holds too much text", "工作表第 %lu 行：该行文字过多")
I18N_MSG("sheet_row_number", "sheet row %lu: the row number is malformed", "工作表第 %lu 行：行号格式有误")
I18N_MSG("sheet_too_many_rows", "the sheet has more than %lu rows", "工作表超过 %lu 行")
I18N_MSG("workbook_too_many_rels", "the workbook has more than %d relationships", "工作簿的关系超过 %d 个")
I18N_MSG("workbook_too_many_sheets", "the workbook has more than %d sheets", "工作簿的工作表超过 %d 个")
I18N_MSG("workbook_too_many_sst", "the workbook has more than %zu shared strings", "工作簿的共享字符串超过 %zu 个")
I18N_MSG("workbook_sst_too_large", "the workbook's shared strings exceed %zu MiB", "工作簿的共享字符串超过 %zu MiB")
I18N_MSG("workbook_too_many_numfmts", "the workbook has more than %d number formats", "工作簿的数字格式超过 %d 种")
I18N_MSG("workbook_too_many_cellfmts", "the workbook has more than %d cell formats", "工作簿的单元格格式超过 %d 种")
I18N_MSG("import_name_missing", "name is missing", "缺少名称")
I18N_MSG("import_kind_missing", "kind is missing (no 类型 column and no --kind)", "缺少类型（没有“类型”列，也没有 --kind）")
I18N_MSG("import_sites_via_api", "testing sites are imported through the sites interface", "采样点请通过采样点接口导入")
I18N_MSG("import_zones_geojson", "zones need polygons: import them from GeoJSON", "区域需要多边形：请从 GeoJSON 导入")
I18N_MSG("import_subdistrict_unknown", "subdistrict is not one of the district's", "街道不属于本区")
I18N_MSG("hotline_rule_generic", "rule: %s at offset %zu", "规则有误（%s），位置：第 %zu 字节")
I18N_MSG("batch_options_bad", "batch options are not valid", "批量查询参数无效")
I18N_MSG("batch_no_data_key", "no data key is loaded", "未加载数据密钥")
I18N_MSG("batch_list_changed", "the list changed while it was being read", "读取名单时名单发生了变化，请重新查询")
I18N_MSG("batch_over_2m_rows", "the list has more than 2,000,000 rows", "名单超过 2,000,000 行")

/* ---- every other error detail of src/ (issue 14: tests/unit/core/test_i18n_coverage.c lists
 * the English literals without a row); generic '%s' field rules come last ---- */
I18N_MSG("auth_required", "authentication required", "需要先登录")
I18N_MSG("method_not_allowed", "method '%s' is not allowed here", "此处不允许 %s 请求")
I18N_MSG("form_malformed", "malformed form", "表单格式有误")
I18N_MSG("form_not_multipart", "the body is not multipart/form-data", "请求内容不是 multipart/form-data")
I18N_MSG("form_boundary", "the multipart boundary is missing or malformed", "multipart 分隔符缺失或有误")
I18N_MSG("body_not_object", "the body must be a JSON object", "请求内容应为 JSON 对象")
I18N_MSG("body_object", "the body must be an object", "请求内容应为对象")
I18N_MSG("internal_error", "internal error", "系统内部错误")
I18N_MSG("nothing_to_change", "nothing to change", "没有需要修改的内容")
I18N_MSG("record_field_not_allowed", "the record has a field that is not allowed here", "记录中有此处不允许的字段")
I18N_MSG("last_event_id", "'Last-Event-ID' must be an event id", "Last-Event-ID 应为事件编号")
I18N_MSG("limit_range_to", "'limit' must be from 1 to %d", "limit 应为 1 到 %d")
I18N_MSG("list_too_long_bytes", "the list may have at most %d bytes", "列表最多 %d 字节")
I18N_MSG("user_name_taken", "the user name is taken", "用户名已被占用")
I18N_MSG("token_scopes_unknown", "'scopes' holds an unknown scope (see GET /api/v1/auth/me for names)",
         "scopes 中有未知的权限（名称见 GET /api/v1/auth/me）")
I18N_MSG("ingest_batch_max", "a batch may hold at most %d records", "一次最多提交 %d 条记录")
I18N_MSG("ingest_item_not_object", "item %zu is not a JSON object", "第 %zu 项不是 JSON 对象")
I18N_MSG("ingest_item_invalid", "item %zu is not valid", "第 %zu 项无效")
I18N_MSG("ingest_unknown_field", "unknown field '%s'", "未知字段“%s”")
I18N_MSG("ingest_source_name", "'source' must name the system that sent the sample", "source 应为发送样本的系统名称")
I18N_MSG("ingest_sheet_records", "the sheet holds more than %d records", "表格中的记录超过 %d 条")
I18N_MSG("ingest_more_rows", "more than %d rows", "超过 %d 行")
I18N_MSG("ingest_more_categories", "more than %d categories", "超过 %d 个分类")
I18N_MSG("nf_actual", "no such actual report", "实检报告不存在")
I18N_MSG("nf_binding_batch", "no such binding batch", "绑定批次不存在")
I18N_MSG("nf_binding", "no such binding", "绑定关系不存在")
I18N_MSG("nf_camera_or_place", "no such camera or place", "摄像头或场所不存在")
I18N_MSG("nf_place_or_camera", "no such place or camera", "场所或摄像头不存在")
I18N_MSG("nf_correction", "no such correction", "更正记录不存在")
I18N_MSG("nf_import", "no such import", "导入记录不存在")
I18N_MSG("nf_plan", "no such plan", "检测轮次不存在")
I18N_MSG("nf_reconciliation", "no such reconciliation", "核对记录不存在")
I18N_MSG("nf_site_scope", "no such site in your scope", "您的辖区内没有该采样点")
I18N_MSG("nf_site", "no such site", "采样点不存在")
I18N_MSG("nf_transport", "no such transport", "转运记录不存在")
I18N_MSG("nf_webhook_delivery", "no such webhook or delivery", "Webhook 或推送记录不存在")
I18N_MSG("nf_webhook", "no such webhook", "Webhook 不存在")
I18N_MSG("nf_outlines", "no outlines are built in", "没有内置的边界数据")
I18N_MSG("camera_version", "the camera is at version %lld", "该摄像头已是第 %lld 版（已被他人修改），请刷新后重试")
I18N_MSG("place_version", "the place is at version %lld", "该场所已是第 %lld 版（已被他人修改），请刷新后重试")
I18N_MSG("site_version", "the site is at version %lld", "该采样点已是第 %lld 版（已被他人修改），请刷新后重试")
I18N_MSG("site_code_taken", "'code' is already used by another site", "编码已被其他采样点使用")
I18N_MSG("plan_no_taken", "'plan_no' is already used by another plan", "检测轮次编号已被其他轮次使用")
I18N_MSG("plan_no_unknown", "'plan_no' is not a known plan", "检测轮次编号不存在")
I18N_MSG("plan_state_already", "plan '%s' is %s already", "检测轮次“%s”已经是 %s 状态")
I18N_MSG("gb_id_taken", "'gb_id' is already in the ledger", "国标编码已在台账中")
I18N_MSG("gb_id_bad", "'gb_id': %s", "国标编码：%s")
I18N_MSG("correction_state_already", "correction %lld is %s already", "更正 %lld 已经是 %s 状态")
I18N_MSG("correction_pending", "correction %lld of this report is still pending", "该报告的更正 %lld 仍在待审核")
I18N_MSG("correction_district", "corrections are approved or rejected by district accounts", "更正由区级账号审核通过或驳回")
I18N_MSG("correction_who", "corrections are made by subdistrict or district accounts", "更正由街道或区级账号提交")
I18N_MSG("correction_nothing", "nothing to correct", "没有需要更正的内容")
I18N_MSG("corrected_range", "'corrected' must be from 0 to %lld", "更正值应为 0 到 %lld")
I18N_MSG("sample_corrected_by_source", "a sample is corrected by its source only", "样本只能由其来源系统更正")
I18N_MSG("rounds_district", "rounds are locked and unlocked by district accounts", "检测轮次由区级账号锁定和解锁")
I18N_MSG("import_rounds_district", "importing past rounds is district work", "导入以往轮次由区级账号操作")
I18N_MSG("bureau_district", "the bureau's figures are district work", "委办局数据由区级账号操作")
I18N_MSG("frequency_district", "the testing frequency is for district accounts", "检测频次仅供区级账号查看")
I18N_MSG("webhooks_district", "webhooks are managed by district-wide accounts", "Webhook 由区级账号管理")
I18N_MSG("state_choice", "'state' must be proposed, approved or rejected", "state 应为 proposed、approved 或 rejected")
I18N_MSG("reason_text", "'reason' must have 1 to %d bytes of text without ID numbers", "原因应为 1 到 %d 字节且不含身份证号的文字")
I18N_MSG("reveal_reason_len", "revealing needs a 'reason' (1 to 200 bytes, without ID numbers)",
         "查看明文需填写原因（1 到 200 字节，不含身份证号）")
I18N_MSG("case_not_linked", "a case is not linked to another case", "该病例未关联其他病例")
I18N_MSG("lookup_one_of", "give exactly one of 'id_number', 'phone' and 'record_id'", "身份证号、手机号和记录编号只能且必须给出一个")
I18N_MSG("phone_bad", "'phone' is not a phone number", "手机号格式有误")
I18N_MSG("transport_changed", "the transport changed meanwhile; read it again", "转运记录已被修改，请重新读取")
I18N_MSG("transport_received", "the transport was already received", "该转运已签收")
I18N_MSG("transport_status_or_time", "give 'status' or 'received_at'", "请给出状态或签收时间")
I18N_MSG("transport_status_next", "'status' can only become received or lost", "状态只能改为已签收或丢失")
I18N_MSG("transport_status_list", "'status' is not one of in_transit, received, lost",
         "状态应为 in_transit、received 或 lost")
I18N_MSG("transport_status_choice", "'status' must be in_transit, received or lost",
         "状态应为 in_transit、received 或 lost 之一")
I18N_MSG("received_at_only", "'received_at' goes only with 'status' received", "签收时间只能与“已签收”状态一起给出")
I18N_MSG("received_before_handed", "'received_at' is before 'handed_at'", "签收时间早于交接时间")
I18N_MSG("received_future", "'received_at' is in the future", "签收时间晚于当前时间")
I18N_MSG("received_required", "'received_at' is required when 'status' is received", "状态为已签收时需要签收时间")
I18N_MSG("received_format", "'received_at' must be an RFC 3339 time with offset or milliseconds since the epoch",
         "签收时间应为带时区的 RFC 3339 时间或毫秒时间戳")
I18N_MSG("tube_twice", "'tube_codes' holds the same code twice", "试管编码重复")
I18N_MSG("tube_required", "'tube_codes' is required", "需要试管编码")
I18N_MSG("tube_item", "'tube_codes' item %zu must be 1 to 32 letters, digits and . _ : -",
         "第 %zu 个试管编码应为 1 到 32 个字母、数字或 . _ : -")
I18N_MSG("tube_array", "'tube_codes' must be an array of tube codes", "试管编码应为编码数组")
I18N_MSG("tube_count", "'tube_codes' must hold 1 to %d codes", "试管编码应有 1 到 %d 个")
I18N_MSG("result_choice", "'result' must be negative, positive, invalid or pending",
         "结果应为 negative、positive、invalid 或 pending")
I18N_MSG("mix_index", "'mix_index' is larger than 'mix_size'", "混采序号大于混采人数")
I18N_MSG("plan_required", "'plan' (the plan number) is required", "需要检测轮次编号（plan）")
I18N_MSG("plan_scope_subdistrict", "'subdistrict' is not in the scope of plan '%s'", "该街道不在检测轮次“%s”的范围内")
I18N_MSG("plan_unknown_ref", "'%s' is not a known plan", "“%s”不是已知的检测轮次")
I18N_MSG("site_other_subdistrict", "'site_code' is a site of another subdistrict", "该采样点属于其他街道")
I18N_MSG("site_code_unknown", "'site_code' is not a known site", "采样点编码不存在")
I18N_MSG("site_not_of_subdistrict", "'site_code' is not a site of 'subdistrict'", "该采样点不属于所给街道")
I18N_MSG("sites_max", "at most %d sites", "最多 %d 个采样点")
I18N_MSG("sites_via_api_create", "sites are created through /api/v1/sites", "采样点请通过 /api/v1/sites 创建")
I18N_MSG("sites_via_api_change", "testing sites are changed through /api/v1/sites", "采样点请通过 /api/v1/sites 修改")
I18N_MSG("sites_via_api_delete", "testing sites are deleted through /api/v1/sites", "采样点请通过 /api/v1/sites 删除")
I18N_MSG("source_sites_reserved", "'source' sites is reserved for testing sites", "来源 sites 专用于采样点")
I18N_MSG("kind_pattern", "'kind' must match [a-z][a-z0-9_]*", "kind 应符合 [a-z][a-z0-9_]*")
I18N_MSG("community_of_subdistrict", "'community' is not a community of 'subdistrict'", "该社区不属于所给街道")
I18N_MSG("community_needs_subdistrict", "'community' needs 'subdistrict'", "给出社区时需要同时给出街道")
I18N_MSG("subdistrict_string_or_null", "'subdistrict' must be a string or null", "街道应为文字或 null")
I18N_MSG("name_or_subdistrict_bad", "'name' or 'subdistrict' is not valid", "名称或街道无效")
I18N_MSG("ends_before_starts", "'ends_at' is before 'starts_at'", "结束时间早于开始时间")
I18N_MSG("ends_after_starts", "'ends_at' must be after 'starts_at'", "结束时间应晚于开始时间")
I18N_MSG("zone_level_zones_only", "'zone_level' is for zones only", "zone_level 仅用于区域")
I18N_MSG("zone_level_required", "'zone_level' is required for zones", "区域需要 zone_level")
I18N_MSG("zone_needs_polygon", "a zone needs a Polygon 'geometry'", "区域需要 Polygon 几何")
I18N_MSG("polygon_zones_only", "only zones have a Polygon 'geometry'", "只有区域才有 Polygon 几何")
I18N_MSG("geometry_or_lonlat", "give 'geometry' or 'lon' and 'lat', not both", "请给出 geometry 或 lon 和 lat，不要同时给出")
I18N_MSG("geometry_type", "'geometry' must be a GeoJSON Point or Polygon", "geometry 应为 GeoJSON Point 或 Polygon")
I18N_MSG("geometry_point", "'geometry' point must be [lon, lat] in Beijing (WGS-84)",
         "geometry 点应为北京范围内的 [经度, 纬度]（WGS-84）")
I18N_MSG("geometry_no_area", "'geometry' polygon has no area", "geometry 多边形面积为零")
I18N_MSG("geometry_one_ring", "'geometry' polygon must have exactly one ring (no holes)", "geometry 多边形只能有一个环（不能有洞）")
I18N_MSG("geometry_ring_points", "'geometry' ring must have 3 to 10000 points", "geometry 环应有 3 到 10000 个点")
I18N_MSG("geometry_ring_beijing", "'geometry' ring points must be [lon, lat] in Beijing (WGS-84)",
         "geometry 环上的点应为北京范围内的 [经度, 纬度]（WGS-84）")
I18N_MSG("near_format", "'near' must be LON,LAT in Beijing (WGS-84 decimal degrees)",
         "near 应为北京范围内的“经度,纬度”（WGS-84 十进制度）")
I18N_MSG("near_no_export", "'near' cannot be exported: use q, status, subdistrict",
         "near 不能导出：请用 q、status、subdistrict 筛选")
I18N_MSG("within_range_5000", "'within' must be a whole number of metres from 1 to 5000", "within 应为 1 到 5000 的整数（米）")
I18N_MSG("within_between", "'within' must be between 1 and %.0f metres", "within 应在 1 到 %.0f 米之间")
I18N_MSG("within_from", "'within' must be from 1 to %.0f metres", "within 应为 1 到 %.0f 米")
I18N_MSG("places_max", "'places' may list at most %d places", "places 最多列出 %d 个场所")
I18N_MSG("places_array", "'places' must be an array", "places 应为数组")
I18N_MSG("place_item_object", "place %zu must be an object", "第 %zu 个场所应为对象")
I18N_MSG("place_item_to_before", "place %zu: 'to' is before 'from'", "第 %zu 个场所：结束早于开始")
I18N_MSG("place_item_detail", "place %zu: %.120s", "第 %zu 个场所：%.120s")
I18N_MSG("place_id_bad", "'place_id' must be a place id", "place_id 应为场所编号")
I18N_MSG("geojson_not_collection", "not a GeoJSON FeatureCollection (or more than 200000 features)",
         "不是 GeoJSON FeatureCollection（或要素超过 200000 个）")
I18N_MSG("coord_same_axis", "both coordinates are on the same axis", "两个坐标在同一轴上（都是经度或都是纬度）")
I18N_MSG("coord_lat_missing", "latitude is missing", "缺少纬度")
I18N_MSG("coord_lat_bad", "latitude is not a coordinate", "纬度不是有效坐标")
I18N_MSG("coord_lat_range", "latitude out of range", "纬度超出范围")
I18N_MSG("coord_lon_missing", "longitude is missing", "缺少经度")
I18N_MSG("coord_lon_bad", "longitude is not a coordinate", "经度不是有效坐标")
I18N_MSG("coord_none", "no coordinates", "没有坐标")
I18N_MSG("coord_no_position", "no position", "没有位置")
I18N_MSG("coord_outside_beijing", "the point is outside Beijing", "该点不在北京范围内")
I18N_MSG("camera_id_digits", "camera ID has %zu digits, 20 expected", "摄像头编码有 %zu 位，应为 20 位")
I18N_MSG("camera_device_type", "device type %.3s is not a camera (131 or 132 expected)",
         "设备类型 %.3s 不是摄像头（应为 131 或 132）")
I18N_MSG("camera_id_bad", "'camera_id' must be a camera id", "camera_id 应为摄像头编号")
I18N_MSG("stream_url_scheme", "'stream_url' must be an rtsp, rtsps, http(s) or rtmp URL",
         "视频流地址应为 rtsp、rtsps、http(s) 或 rtmp 地址")
I18N_MSG("video_off", "live video is not running on this server", "本服务器未开启实时视频")
I18N_MSG("camera_unreachable", "the camera cannot be reached now", "摄像头当前无法连接")
I18N_MSG("camera_no_rtsp", "the camera has no RTSP stream address on file", "该摄像头没有登记 RTSP 视频流地址")
I18N_MSG("camera_gone", "the camera is gone or has no stream", "摄像头已删除或没有视频流")
I18N_MSG("camera_silent", "the camera sends nothing", "摄像头没有发送任何数据")
I18N_MSG("video_busy", "too many cameras are playing; try again later", "正在播放的摄像头过多，请稍后再试")
I18N_MSG("play_link_bad", "the play link is not valid or has expired", "播放链接无效或已过期")
I18N_MSG("hls_params", "'_HLS_msn' and '_HLS_part' must be whole numbers (_HLS_part with _HLS_msn)",
         "_HLS_msn 和 _HLS_part 应为整数（_HLS_part 需与 _HLS_msn 一起给出）")
I18N_MSG("embed_site", "'%.*s' is not an http(s)://host[:port] site or 'self'",
         "“%.*s”不是 http(s)://主机[:端口] 形式的站点，也不是 self")
I18N_MSG("binding_undone", "the binding batch was already undone", "该绑定批次已撤销")
I18N_MSG("reconcile_bound", "the reconciliation is already bound (undo its binding batch first)",
         "该核对结果已绑定（请先撤销其绑定批次）")
I18N_MSG("reconcile_class", "'class' must be matched, conflict, only_survey or only_online",
         "class 应为 matched、conflict、only_survey 或 only_online")
I18N_MSG("reconcile_auto", "'auto' must be a score in (0, 1]", "auto 应为 (0, 1] 之间的分数")
I18N_MSG("level_choice", "'level' must be 1, 2 or 3", "level 应为 1、2 或 3")
I18N_MSG("match_action", "'action' must be accept, reject or repoint (with 'site_code')",
         "action 应为 accept、reject 或 repoint（需给出 site_code）")
I18N_MSG("match_status", "'status' must be none, auto, review, accepted or rejected",
         "状态应为 none、auto、review、accepted 或 rejected")
I18N_MSG("match_site_taken", "another accepted row of this run holds that site", "本次运行中另一条已接受的记录已对应该采样点")
I18N_MSG("match_no_proposal", "the row has no proposed site: re-point it to one", "该行没有建议的采样点：请改为指定一个")
I18N_MSG("match_header", "no header naming 点位编码 or 点位名称 in the first rows", "前几行中没有“点位编码”或“点位名称”表头")
I18N_MSG("history_header", "no header row naming 计划编号, 开始时间, 街道 and 实检 in the first 5 rows",
         "前 5 行中没有含“计划编号”“开始时间”“街道”和“实检”的表头")
I18N_MSG("emergency_header", "no 流调 header row found (it needs 编号 and another known column in the first 5 rows)",
         "没有找到流调表头（前 5 行中需要“编号”和另一个已知列）")
I18N_MSG("doctors_header", "no doctors header row found (it needs 编号 and 姓名 in the first 5 rows)",
         "没有找到医生名单表头（前 5 行中需要“编号”和“姓名”）")
I18N_MSG("months_from", "'from' must be a month written YYYY-MM", "from 应为 YYYY-MM 格式的月份")
I18N_MSG("months_to", "'to' must be a month written YYYY-MM", "to 应为 YYYY-MM 格式的月份")
I18N_MSG("months_span", "'from' to 'to' must be 1 to %d months", "from 到 to 应为 1 到 %d 个月")
I18N_MSG("stats_by", "'by' must be subdistrict, community or industry", "by 应为 subdistrict、community 或 industry")
I18N_MSG("stale_days", "'stale_days' must be a whole number from 0 to 3650", "stale_days 应为 0 到 3650 的整数")
I18N_MSG("sample_status_choice", "'status' must be accepted, fixed, rejected, duplicate or skipped",
         "状态应为 accepted、fixed、rejected、duplicate 或 skipped")
I18N_MSG("scope_item", "'scope' item %zu is not a known subdistrict code", "scope 第 %zu 项不是已知的街道代码")
I18N_MSG("scope_max", "'scope' may list at most %d subdistricts", "scope 最多列出 %d 个街道")
I18N_MSG("scope_array", "'scope' must be an array of subdistrict codes", "scope 应为街道代码数组")
I18N_MSG("scope_own", "'scope' must be exactly your subdistrict", "scope 只能是您所在的街道")
I18N_MSG("staff_item", "'staff' item %zu must be a name of 1 to 64 bytes", "staff 第 %zu 项应为 1 到 64 字节的姓名")
I18N_MSG("staff_max", "'staff' may list at most %d names", "staff 最多列出 %d 个姓名")
I18N_MSG("webhook_topics", "'topics' must be a comma-separated list of topic names", "topics 应为逗号分隔的主题名称")
I18N_MSG("webhook_nothing", "nothing to change: give 'active', 'topics' or 'url'",
         "没有需要修改的内容：请给出 active、topics 或 url")
I18N_MSG("webhook_retry_dead", "only a dead delivery can be retried", "只有失败的推送可以重试")
I18N_MSG("webhook_status", "'status' must be pending, delivered or dead", "状态应为 pending、delivered 或 dead")
I18N_MSG("stat_entry_incomplete", "an entry lacks a name, descriptions, source or SQL", "某条统计缺少名称、说明、来源或 SQL")
I18N_MSG("stat_filter_unknown", "'%s' is not a filter of the statistic '%s'", "“%s”不是统计“%s”的筛选条件")
I18N_MSG("stat_needs_dims", "'%s' needs dimensions and the 'subdistrict' parameter", "“%s”需要维度和 subdistrict 参数")
I18N_MSG("stat_raw_records", "'%s' reads raw records (%s): statistics read counters only", "“%s”读取原始记录（%s）：统计只能读取计数")
I18N_MSG("stat_dim_format", "'%s': dimension %zu is not name:type", "“%s”：第 %zu 个维度不是“名称:类型”")
I18N_MSG("stat_dim_type", "'%s': dimension '%s' has an unknown type", "“%s”：维度“%s”的类型未知")
I18N_MSG("stat_param_word", "'%s': parameter %zu is not a known word", "“%s”：第 %zu 个参数不是已知的词")
I18N_MSG("stat_param_repeat", "'%s': parameter '%s' repeated or too many", "“%s”：参数“%s”重复或过多")
I18N_MSG("stat_sql_param_unused", "'%s': the SQL does not use ?%zu (%s)", "“%s”：SQL 没有使用 ?%zu（%s）")
I18N_MSG("stat_sql_param_undeclared", "'%s': the SQL holds a parameter that params does not declare",
         "“%s”：SQL 中有 params 未声明的参数")
I18N_MSG("field_pair_required", "'%s' and '%s' are required", "需要“%s”和“%s”")
I18N_MSG("field_pair_together", "'%s' and '%s' go together", "“%s”和“%s”需同时给出")
I18N_MSG("field_immutable", "'%s' cannot be changed", "“%s”不能修改")
I18N_MSG("field_not_clearable", "'%s' cannot be cleared", "“%s”不能清空")
I18N_MSG("field_before_2019", "'%s' is before 2019", "“%s”早于 2019 年")
I18N_MSG("field_twice", "'%s' is declared twice", "“%s”重复声明")
I18N_MSG("field_future", "'%s' is in the future", "“%s”晚于当前时间")
I18N_MSG("field_longer_than", "'%s' is longer than %zu bytes", "“%s”超过 %zu 字节")
I18N_MSG("field_not_utf8", "'%s' is not UTF-8 text", "“%s”不是 UTF-8 文字")
I18N_MSG("field_industry_unknown", "'%s' is not a known industry code", "“%s”不是已知的行业代码")
I18N_MSG("field_site_unknown", "'%s' is not a known site", "“%s”不是已知的采样点")
I18N_MSG("field_subdistrict_unknown", "'%s' is not a known subdistrict code", "“%s”不是已知的街道代码")
I18N_MSG("field_choice", "'%s' is not one of the allowed values", "“%s”不是允许的取值")
I18N_MSG("field_outside_area", "'%s' is outside the service area", "“%s”超出服务范围")
I18N_MSG("field_outside_scope", "'%s' is outside your subdistrict", "“%s”超出您所在的街道")
I18N_MSG("field_code_chars", "'%s' may hold only letters, digits and . _ : -", "“%s”只能包含字母、数字和 . _ : -")
I18N_MSG("field_time_short", "'%s' must be RFC 3339 or milliseconds", "“%s”应为 RFC 3339 时间或毫秒时间戳")
I18N_MSG("field_degrees", "'%s' must be a number (WGS-84 degrees)", "“%s”应为数字（WGS-84 度）")
I18N_MSG("field_string", "'%s' must be a string", "“%s”应为文字")
I18N_MSG("field_time_offset", "'%s' must be an RFC 3339 time with offset or milliseconds since the epoch",
         "“%s”应为带时区的 RFC 3339 时间或毫秒时间戳")
I18N_MSG("field_year_range", "'%s' must be between 2019 and 2100", "“%s”应在 2019 年到 2100 年之间")
I18N_MSG("field_int_range", "'%s' must be from %lld to %lld", "“%s”应为 %lld 到 %lld")
I18N_MSG("field_bytes_range", "'%s' must have %d to %zu bytes", "“%s”应为 %d 到 %zu 字节")
I18N_MSG("field_bytes_1", "'%s' must have 1 to %zu bytes", "“%s”应为 1 到 %zu 字节")
I18N_MSG("field_required", "'%s' is required", "缺少“%s”")

/* ---- retention and erasure (issue 12, domain/retention, api/retention) ---- */
I18N_MSG("retention_days_field", "'%s' must be 0 or from %d to %d",
         "“%s”应为 0（永久保留）或 %d 到 %d 天")
I18N_MSG("retention_days_range", "a retention limit must be 0 or from %d to %d days",
         "数据保留期限应为 0（永久保留）或 %d 到 %d 天")
I18N_MSG("erase_reason_len", "erasing needs a 'reason' (1 to 200 bytes, without ID numbers)",
         "删除个人数据需填写原因（1 到 200 字节，不含身份证号）")

/* ---- streamed uploads and their quota (http/form.c, io/table.c; issue 12) ---- */
I18N_MSG("upload_quota_count", "this account already has %d uploads in progress; wait for one to finish",
         "本账号已有 %d 个文件正在上传，请等其中一个完成后再试")
I18N_MSG("upload_quota_bytes",
         "this account's uploads in progress may hold at most %d MiB; wait for one to finish",
         "本账号正在上传的文件合计不能超过 %d MiB，请等其中一个完成后再试")
I18N_MSG("form_too_many_files", "the form has too many large parts", "表单中的大文件过多")
I18N_MSG("upload_store_failed", "the upload cannot be stored on the server", "服务器无法暂存上传的文件")
I18N_MSG("upload_tampered", "the uploaded file was altered on the server's disk",
         "上传的文件在服务器磁盘上被篡改，请重新上传")
