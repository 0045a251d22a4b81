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
I18N_MSG("batch_rows_choice", "'rows' must be all, not_found or invalid",
         "导出范围只能是全部（all）、未检测（not_found）或无效（invalid）")
I18N_MSG("batch_not_found", "no such batch", "该批次不存在")
I18N_MSG("batch_busy", "the batch is already queued or running", "该批次已在排队或正在处理")
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
I18N_MSG("user_role_unknown", "'role' is not a known role", "角色不存在")
I18N_MSG("user_needs_subdistrict", "a subdistrict account needs 'subdistrict'", "街道账号必须选择所属街道")
I18N_MSG("user_subdistrict_only", "only subdistrict accounts have a 'subdistrict'", "只有街道账号才有所属街道")
I18N_MSG("user_subdistrict_unknown", "'subdistrict' is not a known subdistrict code", "街道代码不存在")
I18N_MSG("user_name_format", "'username' must be 3-32 characters of a-z, 0-9, '_', '.', '-'",
         "用户名须为 3-32 个字符，只能包含 a-z、0-9、“_”、“.”、“-”")
I18N_MSG("user_self_lockout", "you cannot change your own role or lock yourself out",
         "不能修改自己的角色，也不能锁定自己")
I18N_MSG("user_real_name_long", "'real_name' must have at most %zu characters", "姓名不能超过 %zu 个字")
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
