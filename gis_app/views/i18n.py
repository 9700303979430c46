"""Page texts: Chinese by default, English with ``?lang=en`` (remembered in a cookie)."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import request

__all__ = ["language", "texts", "labels", "remember_language", "init_app", "LAYER_LABELS_EN", "NAV",
           "KIND_LABELS_EN", "LEVEL_LABELS_EN", "ROLLUP_LABELS_EN", "FINDING_LABELS_EN", "FRONTAGE_LABELS",
           "MAP_LABELS_EN", "CASE_LABELS_EN"]

TEXT = {
    "zh": {
        "title": "网格化管理 · 地图", "legend": "人员状态", "status_complete": "齐全", "status_short": "缺员",
        "status_unstaffed": "无人", "households": "户数", "backup": "B岗", "no_people": "未配置责任人",
        "no_grid_here": "此处不在任何网格内", "search": "搜索", "search_placeholder": "网格编码、网格名称或人员姓名",
        "nothing_found": "没有找到", "empty": "登记册为空。运行 sanigrid demo 或 sanigrid import。",
        "register": "登记册", "gaps": "覆盖缺口", "switch": "English", "api": "接口文档",
        "editor": "编辑", "sign_in": "登录编辑", "sign_out": "退出", "token": "令牌（sanigrid token create）",
        "signed_in": "已登录，可绘制或修改网格", "draw_hint": "用左侧工具绘制新网格或修改网格形状，然后保存",
        "grid_name": "网格名称", "community": "社区编码（12位）", "save": "保存", "saved": "已保存",
        "conflict": "该网格已被他人修改，已重新载入最新版本，请重做修改", "refused": "未能保存",
        "token_refused": "令牌无效或无编辑权限",
        "grid": "网格", "people": "责任人", "history": "变更记录", "signboard": "公示牌", "print": "打印公示牌",
        "role": "职务", "name": "姓名", "phone": "电话", "duties": "职责", "photo": "照片",
        "hotline": "监督举报电话", "scan": "扫码查看网格、反映问题", "version": "版本", "when": "时间",
        "who": "操作人", "action": "操作", "status": "人员状态", "area": "面积", "type": "类型",
        "sign_title": "网格化管理公示牌", "no_photo": "暂无照片",
        "role_leader": "网格长", "role_cleaner": "保洁员", "role_patroller": "巡查员", "role_manager": "管理责任人",
        "role_supervisor": "监督员", "role_volunteer": "志愿者",
    },
    "en": {
        "title": "Grid management · map", "legend": "Staffing", "status_complete": "complete",
        "status_short": "short", "status_unstaffed": "unstaffed", "households": "Households",
        "backup": "B post", "no_people": "no responsible person", "no_grid_here": "No grid holds this point",
        "search": "Search", "search_placeholder": "grid code, grid name or person", "nothing_found": "nothing found",
        "empty": "The register is empty. Run sanigrid demo or sanigrid import.", "register": "Register",
        "gaps": "Coverage gaps", "switch": "中文", "api": "API docs", "editor": "Edit", "sign_in": "Sign in to edit",
        "sign_out": "Sign out", "token": "Token (sanigrid token create)",
        "signed_in": "Signed in: draw or reshape grids", "draw_hint": "Draw a new grid or reshape one, then save",
        "grid_name": "Grid name", "community": "Community code (12 digits)", "save": "Save", "saved": "Saved",
        "conflict": "Someone else changed this grid; the latest version was reloaded, redo your change",
        "refused": "Not saved", "token_refused": "The token is invalid or may not edit",
        "grid": "Grid", "people": "People", "history": "History", "signboard": "Signboard",
        "print": "Print the signboard", "role": "Role", "name": "Name", "phone": "Phone", "duties": "Duties",
        "photo": "Photo", "hotline": "Report hotline", "scan": "Scan to see the grid and report a problem",
        "version": "Version", "when": "When", "who": "By", "action": "Action", "status": "Staffing",
        "area": "Area", "type": "Type", "sign_title": "Grid management signboard", "no_photo": "no photo",
        "role_leader": "Grid leader", "role_cleaner": "Cleaner", "role_patroller": "Patroller",
        "role_manager": "Responsible manager", "role_supervisor": "Supervisor", "role_volunteer": "Volunteer",
    },
}
# The register page (index.html) and the gap report pages (gaps_index.html, gaps.html).
TEXT["zh"].update({
    "register_title": "网格登记册", "register_heading": "网格化管理 · 网格登记册",
    "register_intro": "区 → 街道 → 社区 → 网格；保洁员按每100户至少1名配置，状态：",
    "grids": "网格", "cleaners": "保洁员", "grid_code": "网格编码", "missing": "缺项", "gap_report": "覆盖缺口报告",
    "gaps_title": "覆盖缺口报告", "gaps_heading": "全覆盖无死角 · 覆盖缺口报告", "gaps_choose": "选择区域",
    "gaps_intro": "选择区县或街道，查看空洞、缝隙、网格重叠、超出边界和人员不齐的网格。", "streets": "街道",
    "data": "数据", "areas_in": "面积在 {crs} 中计算", "other_regions": "其他区域", "map": "地图",
    "findings": "问题清单", "click_row": "点击一行，地图缩放到该问题。", "rollup": "汇总",
    "region_outlines": "区域边界", "code": "编码", "place_name": "名称",
    "score_rule": "覆盖得分 = 100 × (0.4×覆盖率 + 0.2×(1 − 重叠与越界面积/区域面积) + 0.2×(1 − 缺保洁户数/户数)"
                  " + 0.2×人员齐全网格比例)",
})
TEXT["en"].update({
    "register_title": "Grid register", "register_heading": "Grid management · grid register",
    "register_intro": "District → street → community → grid; at least one cleaner per 100 households; staffing:",
    "grids": "Grids", "cleaners": "Cleaners", "grid_code": "Grid code", "missing": "Missing",
    "gap_report": "Coverage gap report",
    "gaps_title": "Coverage gap report", "gaps_heading": "Full coverage, no blind spots · coverage gap report",
    "gaps_choose": "choose a region",
    "gaps_intro": "Choose a district or street to see holes, slivers, overlapping grids, grids out of bounds"
                  " and under-staffed grids.", "streets": "Streets",
    "data": "Data", "areas_in": "areas computed in {crs}", "other_regions": "other regions", "map": "Map",
    "findings": "Findings", "click_row": "Click a row to zoom the map to it.", "rollup": "Summary",
    "region_outlines": "Region outlines", "code": "Code", "place_name": "Name",
    "score_rule": "Coverage score = 100 × (0.4×covered share + 0.2×(1 − overlapping and outside area/region area)"
                  " + 0.2×(1 − households without a cleaner/households) + 0.2×share of fully staffed grids)",
})
# The monthly evaluation page (evaluation.html).
TEXT["zh"].update({
    "eval_title": "月评排名", "eval_heading": "月评 · 综合得分排名", "eval_month": "月份", "eval_region": "区域编码",
    "eval_show": "查看", "eval_published": "已发布（数据已冻结）", "eval_unpublished": "未发布：按当前数据计算，发布前可能变化",
    "eval_rule": "综合得分 = 0.6×检查得分 + 0.4×案件得分；检查得分按日查1、周督2、月评3、季暗访3加权；"
                 "案件得分 = 0.5×办结率 + 0.3×按时办结率 + 0.2×(100 − 返工率)。排名为全市排名，当月未检查的不参评。",
    "eval_rank": "排名", "eval_change": "名次变化", "eval_score": "综合得分", "eval_inspection_score": "检查得分",
    "eval_case_score": "案件得分", "eval_inspections": "检查次数", "eval_cases_due": "应办结案件",
    "eval_up": "上升", "eval_down": "下降", "eval_new": "新", "eval_not_evaluated": "未参评", "eval_empty": "本月无数据",
})
TEXT["en"].update({
    "eval_title": "Monthly evaluation", "eval_heading": "Monthly evaluation · ranking", "eval_month": "Month",
    "eval_region": "Region code", "eval_show": "Show", "eval_published": "Published (frozen)",
    "eval_unpublished": "Not published: computed from today's data, may change until published",
    "eval_rule": "Score = 0.6 × inspection score + 0.4 × case score; inspections weighted daily 1, weekly 2, "
                 "monthly 3, unannounced 3; case score = 0.5 × closure rate + 0.3 × on-time rate + "
                 "0.2 × (100 − rework rate). Ranks are city-wide; a region not inspected in the month is not ranked.",
    "eval_rank": "Rank", "eval_change": "Change", "eval_score": "Score", "eval_inspection_score": "Inspections",
    "eval_case_score": "Cases", "eval_inspections": "Inspections made", "eval_cases_due": "Cases due",
    "eval_up": "up", "eval_down": "down", "eval_new": "new", "eval_not_evaluated": "not ranked",
    "eval_empty": "no data this month",
})
# The grid page's and signboard's 门前三包 units (gis_app/views/signboard.py adds their labels).
TEXT["zh"].update({
    "frontages": "门前三包责任单位", "unit": "责任单位", "unit_kind": "类别", "items": "责任事项",
    "frontage_status": "签订状态", "expires": "到期", "no_frontages": "网格内尚无登记的门前三包责任单位",
    "more_units": "等{n}家",
})
TEXT["en"].update({
    "frontages": "Frontage units (门前三包)", "unit": "Unit", "unit_kind": "Kind", "items": "Duties",
    "frontage_status": "Commitment", "expires": "Expires", "no_frontages": "no frontage unit registered in this grid",
    "more_units": "and {n} more",
})
FRONTAGE_LABELS = {
    "zh": {"item": {"sanitation": "卫生", "order": "秩序", "greenery": "绿化", "facilities": "设施", "snow": "除雪"},
           "status": {"signed": "已签", "expired": "已过期", "refused": "拒签", "not_visited": "未走访"},
           "unit_kind": {"government": "机关", "association": "团体", "enterprise": "企事业单位", "individual": "个体商户"}},
    "en": {"item": {"sanitation": "sanitation", "order": "order", "greenery": "greenery", "facilities": "facilities",
                    "snow": "snow and ice"},
           "status": {"signed": "signed", "expired": "expired", "refused": "refused", "not_visited": "not visited"},
           "unit_kind": {"government": "government body", "association": "association", "enterprise": "enterprise",
                         "individual": "shop (individual)"}},
}
# English of the gap report's label tables (the Chinese are gis_app.gap_output's, also the CLI's).
KIND_LABELS_EN = {
    "hole": "Hole", "sliver": "Sliver", "overlap": "Overlapping grids", "outside": "Out of bounds",
    "no_leader": "No grid leader", "many_leaders": "More than one grid leader", "missing_roles": "Roles missing",
    "cleaners_below_ratio": "Cleaners below ratio", "no_backup": "Cleaner without B post",
    "backup_is_self": "B post is the same person", "spread_too_thin": "Too many grids per person",
    "understaffed": "Under-staffed grid", "frontage_unsigned": "门前三包 commitments below the floor",
}
LEVEL_LABELS_EN = {"district": "District", "street": "Street", "community": "Community"}
ROLLUP_LABELS_EN = {
    "level": "Level", "code": "Code", "name": "Name", "area_m2": "Area (m²)", "grids": "Grids",
    "hole_count": "Holes", "hole_m2": "Hole area (m²)", "sliver_count": "Slivers", "sliver_m2": "Sliver area (m²)",
    "uncovered_pct": "Uncovered (%)", "overlap_count": "Overlapping pairs", "overlap_m2": "Overlap area (m²)",
    "outside_count": "Grids out of bounds", "outside_m2": "Area out of bounds (m²)", "short": "Short grids",
    "unstaffed": "Unstaffed grids", "cleaner_gap": "Cleaners missing",
    "households_uncovered": "Households without a cleaner",
    "frontage_length_m": "Street front registered (m)", "frontage_signed_m": "Signed (m)",
    "frontage_signed_pct": "Signed (%)", "frontage_units": "Frontage units", "frontage_units_unsigned": "Units unsigned",
    "frontage_expiring_30d": "Expiring soon", "frontage_unregistered_m": "Street front unregistered (m)",
    "frontage_unsigned_count": "Grids below the floor", "score": "Coverage score",
}
FINDING_LABELS_EN = {"kind_label": "Finding", "region": "Region", "region_name": "Region name", "code": "Grid",
                     "other": "Other grid", "area_m2": "Area (m²)", "households": "Households",
                     "cleaner_gap": "Cleaners missing", "detail": "Detail"}
# The phone page of an inspection (inspect.html, static/viewer/inspect.js reads the keys after "inspect_").
TEXT["zh"].update({
    "inspect_title": "现场检查", "inspect_need_editor": "记录检查需要编辑或管理员账号。", "inspect_sign_in": "登录",
    "inspect_what": "检查", "inspect_kind": "检查类型", "inspect_level": "检查级别", "inspect_inspector": "检查人",
    "inspect_where": "位置", "inspect_use_position": "使用手机定位", "inspect_manual": "手动输入坐标",
    "inspect_lon": "经度", "inspect_lat": "纬度", "inspect_datum": "坐标系",
    "inspect_datum_wgs84": "WGS 84（GPS、天地图）", "inspect_datum_gcj02": "GCJ-02（高德、腾讯地图）",
    "inspect_datum_bd09": "BD-09（百度地图）", "inspect_set_point": "使用此坐标",
    "inspect_items": "检查项目", "inspect_all_pass": "其余全部合格", "inspect_notes_photos": "说明和照片",
    "inspect_notes": "说明", "inspect_photos": "照片（拍照或选择）", "inspect_send": "提交检查",
    "inspect_discard": "放弃草稿", "inspect_pass": "合格", "inspect_fail": "不合格", "inspect_na": "不适用",
    "inspect_emergency": "紧急", "inspect_weight": "分值", "inspect_score": "得分",
    "inspect_draft_saved": "草稿已保存在本机，刷新或断网不会丢失", "inspect_draft_restored": "已恢复未提交的草稿",
    "inspect_sending": "正在提交…", "inspect_offline": "网络不通：草稿已保存，联网后自动重新提交",
    "inspect_refused": "未能提交", "inspect_sent": "检查已记录", "inspect_cases": "已立案的问题",
    "inspect_no_cases": "全部合格，未立案", "inspect_deadline": "整改期限", "inspect_new": "再记录一次检查",
    "inspect_position_wgs84": "GPS 定位（WGS 84）", "inspect_accuracy": "精度约 {m} 米",
    "inspect_no_position": "尚未定位", "inspect_position_failed": "无法获取定位：{reason}。可手动输入坐标。",
    "inspect_outside": "此处不在任何网格内", "inspect_grid": "网格", "inspect_answers": "责任方",
    "inspect_missing_items": "还有 {n} 项未选择结果", "inspect_need_position": "请先定位或输入坐标",
    "inspect_too_many_photos": "每次检查最多 {n} 张照片", "inspect_photo_too_big": "照片 {name} 超过 {mb} MB",
    "inspect_remove": "移除", "inspect_bad_number": "经纬度必须是数字", "inspect_check_sent": "正在确认上次提交是否已到达…",
    "inspect_already_sent": "上次提交已到达服务器",
})
TEXT["en"].update({
    "inspect_title": "Inspection on the spot", "inspect_need_editor": "Recording an inspection needs an editor or admin sign-in.",
    "inspect_sign_in": "Sign in", "inspect_what": "Inspection", "inspect_kind": "Kind", "inspect_level": "Level",
    "inspect_inspector": "Inspector", "inspect_where": "Position", "inspect_use_position": "Use the phone's position",
    "inspect_manual": "Enter coordinates", "inspect_lon": "Longitude", "inspect_lat": "Latitude",
    "inspect_datum": "Datum", "inspect_datum_wgs84": "WGS 84 (GPS, Tianditu)",
    "inspect_datum_gcj02": "GCJ-02 (Amap, Tencent maps)", "inspect_datum_bd09": "BD-09 (Baidu maps)",
    "inspect_set_point": "Use these coordinates", "inspect_items": "Checklist",
    "inspect_all_pass": "All the rest pass", "inspect_notes_photos": "Notes and photos", "inspect_notes": "Notes",
    "inspect_photos": "Photos (take or choose)", "inspect_send": "Send the inspection",
    "inspect_discard": "Discard the draft", "inspect_pass": "pass", "inspect_fail": "fail", "inspect_na": "n/a",
    "inspect_emergency": "emergency", "inspect_weight": "weight", "inspect_score": "Score",
    "inspect_draft_saved": "Draft kept on this phone: a reload or a lost connection loses nothing",
    "inspect_draft_restored": "The unsent draft was restored", "inspect_sending": "Sending…",
    "inspect_offline": "No connection: the draft is kept and is sent again when the phone is back online",
    "inspect_refused": "Not sent", "inspect_sent": "Inspection recorded", "inspect_cases": "Cases opened",
    "inspect_no_cases": "Everything passed: no case opened", "inspect_deadline": "deadline",
    "inspect_new": "Record another inspection", "inspect_position_wgs84": "GPS position (WGS 84)",
    "inspect_accuracy": "accurate to about {m} m", "inspect_no_position": "No position yet",
    "inspect_position_failed": "No position: {reason}. Enter the coordinates instead.",
    "inspect_outside": "No grid holds this point", "inspect_grid": "Grid", "inspect_answers": "Answers for it",
    "inspect_missing_items": "{n} items have no result yet", "inspect_need_position": "Take the position first",
    "inspect_too_many_photos": "At most {n} photos per inspection", "inspect_photo_too_big": "Photo {name} is over {mb} MB",
    "inspect_remove": "remove", "inspect_bad_number": "Longitude and latitude must be numbers",
    "inspect_check_sent": "Checking whether the last send arrived…", "inspect_already_sent": "The last send had arrived",
})
# The case pages (cases.html, case.html) and the rectification notice (notice.html).
TEXT["zh"].update({
    "cases_title": "整改案件", "cases_heading": "问题整改 · 案件列表", "region": "区域编码",
    "region_hint": "区6位、街道9位、社区12位或网格15位", "category": "问题类别", "state": "状态",
    "overdue": "逾期", "any": "全部", "yes": "是", "no": "否", "filter": "筛选", "case_id": "案件编号",
    "severity": "紧急程度", "party": "责任主体", "deadline": "整改期限", "registered": "立案时间",
    "no_cases": "没有符合条件的案件", "next_page": "下一页", "first_page": "第一页",
    "dispatch_selected": "派遣", "assignee": "处置人（默认为责任主体）", "assigned": "承办人", "select_all": "全选",
    "result": "结果", "done": "成功", "failed": "未成功", "none_selected": "请先勾选案件",
    "case_heading": "整改案件", "facts": "案件信息", "item": "检查项目", "inspection": "检查记录",
    "closed_at": "结案时间", "deferrals": "缓办次数", "reworks": "返工次数", "rectified_by": "整改人",
    "evidence": "整改照片", "answering_level": "督办层级", "actions": "可办理操作", "note": "说明",
    "photo_file": "整改后照片", "working_days": "延长工作日数", "submit": "提交", "no_actions": "当前无可办理的操作",
    "sign_in_to_act": "登录后可办理", "notice": "整改通知书", "notice_pdf": "整改通知书（PDF）", "from": "原状态",
    "to": "新状态", "by_rectifier_hidden": "您是处置人，核查须由他人进行", "location": "位置",
    "notice_title": "问题整改通知书", "notice_no": "编号", "notice_to": "致", "notice_problem": "存在问题",
    "notice_body": "经{kind}发现，你单位（责任区）存在以下问题，请按期整改：",
    "notice_demand": "请于整改期限前整改完毕，并将整改后照片报送所在网格（可扫描右侧二维码在线办理）。"
                     "逾期未整改的，提级督办，并计入月度考评。",
    "notice_deadline_rule": "{rule}，自立案时起按工作日计算：法定节假日顺延，调休上班日计入，"
                            "工作时间为8:30–12:00、14:30–18:00",
    "notice_deferred": "已缓办{n}次，期限已相应延长", "issuer": "签发单位", "issued": "签发日期",
    "office_default": "{district}爱国卫生运动委员会办公室", "scan_case": "扫码查看案件并办理",
    "print_notice": "打印", "back_to_case": "返回案件", "contact": "联系人", "address": "地址",
    "working_days_rule": "{n}个工作日", "working_hours_rule": "{n}个工作小时", "inspector": "检查人",
    "map_legend": "网格范围及问题位置（红点）",
})
TEXT["en"].update({
    "cases_title": "Cases", "cases_heading": "Rectification · cases", "region": "Region code",
    "region_hint": "district 6, street 9, community 12 or grid 15 digits", "category": "Category", "state": "State",
    "overdue": "Overdue", "any": "any", "yes": "yes", "no": "no", "filter": "Filter", "case_id": "Case",
    "severity": "Severity", "party": "Addressed to", "deadline": "Deadline", "registered": "Registered",
    "no_cases": "no case matches", "next_page": "Next page", "first_page": "First page",
    "dispatch_selected": "Dispatch", "assignee": "Assignee (default: the party addressed)", "assigned": "Assignee",
    "select_all": "all",
    "result": "Result", "done": "done", "failed": "not done", "none_selected": "tick the cases first",
    "case_heading": "Case", "facts": "Facts", "item": "Checklist item", "inspection": "Inspection",
    "closed_at": "Closed", "deferrals": "Deferrals", "reworks": "Reworks", "rectified_by": "Rectified by",
    "evidence": "Evidence photo", "answering_level": "Answering level", "actions": "Actions", "note": "Note",
    "photo_file": "Photo after rectification", "working_days": "Working days added", "submit": "Submit",
    "no_actions": "no action you can take now", "sign_in_to_act": "sign in to act on the case",
    "notice": "Rectification notice", "notice_pdf": "Rectification notice (PDF)", "from": "From", "to": "To",
    "by_rectifier_hidden": "you rectified this case: someone else verifies it", "location": "Location",
    "notice_title": "Rectification notice", "notice_no": "No.", "notice_to": "To", "notice_problem": "Problem found",
    "notice_body": "The {kind} found the following problem in your area of responsibility; rectify it by the deadline:",
    "notice_demand": "Rectify the problem before the deadline and send a photo of the result to the grid (or act "
                     "online through the QR code). An overdue case is escalated one level and counts in the "
                     "monthly evaluation.",
    "notice_deadline_rule": "{rule} from registration on the official calendar: public holidays do not count, "
                            "adjusted working days (调休) do; working time 8:30–12:00 and 14:30–18:00",
    "notice_deferred": "deferred {n} time(s); the deadline was extended", "issuer": "Issued by", "issued": "Date",
    "office_default": "Patriotic Health Campaign Office, {district}", "scan_case": "Scan to see and act on the case",
    "print_notice": "Print", "back_to_case": "Back to the case", "contact": "Contact", "address": "Address",
    "working_days_rule": "{n} working day(s)", "working_hours_rule": "{n} working hour(s)", "inspector": "Inspector",
    "map_legend": "The grid and where the problem is (red dot)",
})
# English of the case words (the Chinese are grids.cases' and grids.case_records').
CASE_LABELS_EN = {
    "state": {"registered": "registered", "dispatched": "dispatched", "rectified": "rectified",
              "verified": "verified", "closed": "closed"},
    "action": {"register": "registered", "dispatch": "dispatch", "rectify": "rectify", "verify": "verify",
               "reject": "reject (rework)", "close": "close", "defer": "defer", "import": "import"},
    "severity": {"normal": "normal", "emergency": "emergency"},
    "addressed_kind": {"frontage": "frontage unit (门前三包)", "place": "key place operator",
                       "grid_leader": "grid leader", "grid": "grid (no leader)"},
    "level": {"grid": "grid", "community": "community", "street": "street", "district": "district", "city": "city"},
    "inspection": {"daily": "daily round", "weekly": "weekly supervision", "monthly": "monthly evaluation",
                   "unannounced": "unannounced visit"},
    "inspection_level": {"city": "city", "street": "street / town", "community": "community", "unit": "unit"},
}
# The header of every page (templates/base.html): (endpoint prefix, path, label) in the order shown.
NAV = {
    "zh": [("viewer.", "/", "地图"), ("pages.", "/register", "登记册"), ("gaps.", "/gaps", "覆盖缺口"),
           ("inspect.", "/inspect", "检查"), ("case_", "/cases", "案件"), ("api-docs", "/api/v1/docs", "API")],
    "en": [("viewer.", "/", "Map"), ("pages.", "/register", "Register"), ("gaps.", "/gaps", "Coverage gaps"),
           ("inspect.", "/inspect", "Inspect"), ("case_", "/cases", "Cases"), ("api-docs", "/api/v1/docs", "API")],
}
NAV_TEXT = {"zh": {"home": "首页", "brand": "网格化管理", "switch": "English", "other": "en", "nav": "主导航"},
            "en": {"home": "Home", "brand": "grid management", "switch": "中文", "other": "zh", "nav": "Main"}}
LAYER_LABELS_EN = {"districts": "Districts", "streets": "Streets", "communities": "Communities",
                   "grids": "Grids (by staffing)", "gaps": "Coverage gaps", "frontages": "Frontages (门前三包)",
                   "places": "Key places"}
# English of the frontage and place layers' words (the Chinese are layers.frontages.FRONTAGE_LABELS and
# layers.places.PLACE_LABELS): popup fields, statuses, items, unit kinds, place kinds.
MAP_LABELS_EN = {
    "frontages": {
        "layer": "Frontages (门前三包)", "unit_name": "Unit", "unit_kind": "Kind of unit", "status": "Commitment",
        "items": "Duties", "signed_on": "Signed", "expires_on": "Expires", "contact": "Contact", "phone": "Phone",
        "address": "Address", "road": "Road", "length_m": "Length (m)", "grids": "Grids",
        "status_signed": "signed", "status_expired": "expired", "status_refused": "refused",
        "status_not_visited": "not visited", "item_sanitation": "sanitation", "item_order": "street order",
        "item_greenery": "greenery", "item_facilities": "public facilities", "item_snow": "snow and ice",
        "kind_government": "government office", "kind_association": "association",
        "kind_enterprise": "enterprise or institution", "kind_individual": "individual business",
    },
    "places": {
        "layer": "Key places", "name": "Name", "kind": "Kind", "operator": "Operator", "contact": "Contact",
        "phone": "Phone", "address": "Address", "licence_no": "Health licence", "licence_expires": "Licence expires",
        "health_certs": "Health certificates", "staff": "Staff", "grid": "Grid",
        "kind_farmers_market": "farmers' market", "kind_construction_site": "construction site",
        "kind_public_toilet": "public toilet", "kind_refuse_point": "refuse point",
        "kind_transfer_station": "transfer station", "kind_small_shop": "small shop",
        "kind_school": "school", "kind_urban_village": "urban village", "kind_old_compound": "old compound",
        "kind_public_place": "public place",
    },
}
_COOKIE = "sanigrid_lang"


def language() -> str:
    """Return 'zh' or 'en': the ``lang`` query argument, else the remembered choice, else Chinese."""
    wanted = request.args.get("lang") or request.cookies.get(_COOKIE) or "zh"
    return wanted if wanted in TEXT else "zh"


def texts(lang: str) -> dict:
    return TEXT[lang]


def labels(lang: str, chinese: dict, english: dict) -> dict:
    """Return a label table in ``lang``: ``chinese`` as it is, or each key's English (its Chinese if none)."""
    return dict(chinese) if lang != "en" else {key: english.get(key, value) for key, value in chinese.items()}


def remember_language(response, lang: str | None = None):
    """Keep an explicit ``?lang=`` choice for the following pages (once per response)."""
    wanted = request.args.get("lang")
    already = any(h.startswith(_COOKIE + "=") for h in response.headers.getlist("Set-Cookie"))
    if wanted in TEXT and not already:
        response.set_cookie(_COOKIE, lang or wanted, samesite="Lax")
    return response


def switch_url(lang: str) -> str:
    """This page in the other language: the same path and query, ``lang`` replaced."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + "?" + urlencode(args + [("lang", NAV_TEXT[lang]["other"])])


def _header_context() -> dict:
    """What base.html's header needs; a page that passes its own ``lang`` (the OGC pages) wins."""
    return {"nav_language": language(), "nav_items": NAV, "nav_text": NAV_TEXT, "nav_switch": switch_url}


def init_app(app) -> None:
    """Give every template the header's texts and remember a ``?lang=`` choice on every HTML page."""
    app.context_processor(_header_context)

    @app.after_request
    def _remember(response):
        if response.mimetype == "text/html":
            remember_language(response)
        return response
