// Every label the map, the wall screen and their sign-in show, in Chinese (the default) and
// English. Data (area and site names, units) stays as the city wrote it.
"use strict";

const I18N = {
  zh: {
    title: "聊城市5G建设地图", screen_title: "聊城市5G基站建设进度", screen_link: "大屏展示", full_screen: "全屏", county: "区县", operator: "运营商", stage: "阶段", all: "全部",
    progress: "建设进度", coverage: "区域覆盖", gaps: "覆盖缺口（建议补点）", layers: "图层与图例",
    footprints: "覆盖范围", earth: "卫星地球站", checklist: "月调度清单", export: "导出", field: "现场上报页面",
    sites_shown: "显示站址 {n} 个", area: "区域", covered: "覆盖率", continuous: "连续覆盖", yes: "是", no: "否",
    on_air_of: "已开通 {n} / 目标 {t}", on_air_at_deadline: "期限日开通 {n} / 目标 {t}", deadline: "期限 {d}", areas_met: "达标区域 {m} / {a}",
    areas_note: "（达到连续覆盖的目标区域）", city_targets: "全市目标",
    gap_item: "{area}：约 {km} 平方公里",
    planned: "计划开通", standing: "进度", last_report: "最后上报", power: "供电", battery: "电池电压", temp: "机柜温度",
    backhaul: "回传", cells: "小区", history: "阶段记录", obstacles: "未销号困难", none: "无", up: "正常", down: "中断",
    alarms: "告警", flagged: "需与卫星地球站协调", on_air: "累计开通", site_id: "站址编号", door: "机柜门",
    door_open: "打开", door_closed: "关闭", latency: "时延", supply_label: "供电方式",
    candidates: "建议新建站址", candidate_item: "{area} {i} 号：覆盖率 +{add}%（累计 {after}%）",
    area_sites: "区内开通站址 {inside} 个，覆盖到本区的站址 {reaching} 个", of_operator: "（{op}站址）",
    pilots: "5G+应用试点项目", pilots_done: "已验收 {d} / 目标 {t}，缺少5G覆盖 {b} 个", pilot_blocked: "缺少5G覆盖",
    as_of: "数据截至 {t}", replaying: "回放：{m}末", live: "实时", replay: "历史回放", play: "播放", pause: "暂停",
    met: "已完成", missed: "未完成", due_in: "剩余 {n} 天", due_today: "今日到期",
    ranking_county: "区县排名（倒排进度）", ranking_operator: "运营商排名（倒排进度）",
    rank: "排名", expected: "倒排应开通", against: "倒排完成率", sites: "规划站点", built: "已建成",
    pace: { on_track: "按期", behind: "滞后", far_behind: "严重滞后", none: "无任务" },
    pace_legend: { on_track: "按期（≥100%）", behind: "滞后（90%–100%）", far_behind: "严重滞后（<90%）", none: "无任务" },
    map_legend: "图例", cluster_legend: "聚合：数字为站址数，环为各阶段占比", alarm_legend: "告警站址", pilot_legend: "5G+试点项目", blocked_ring: "红虚线环：含告警站址",
    replay_marker: "回放月份", operator_ranking: "运营商排名（倒排进度）", cell_count: "{b} ×{n} {s}",
    county_figures: "{c}概况", operator_figures: "{o}概况",
    search: "搜索站址编号或名称", no_match: "未找到站址",
    target_line: "目标", schedule_line: "倒排计划", projection_line: "按当前进度预测", reach: "预计 {m} 达到{t}目标",
    reached: "已于 {m} 达到{t}目标", never: "按当前进度无法达到{t}目标", late: "（晚于期限）",
    per_month: "近{k}个月平均每月新开通 {n} 个",
    legend_stages: "站址阶段", legend_clusters: "站址聚合（环形为各阶段占比）", legend_pace: "区县倒排进度",
    legend_coverage: "区域覆盖率", legend_alarms: "告警", legend_pilots: "5G+应用试点项目",
    boundaries: "区县界线", clusters_note: "数字为站址数",
    sign_in: "登录", token: "访问令牌", sign_in_note: "本系统需要访问令牌才能查看。请向市工业和信息化局管理员申请（只读令牌即可）。",
    wrong_token: "令牌无效或已过期，请检查后重新输入。", no_right: "此令牌无权查看（{m}）。",
    unreachable: "无法连接采集服务器，请稍后重试。", signed_in_as: "已登录：{n}", sign_out: "退出",
    refreshed: "刷新于 {t}", screen_on_air: "累计开通基站", screen_target: "{t}年目标",
    month_label: "{y}年{m}月",
    alarm_kinds: { offline: "离线", mains_lost: "市电中断", battery_low: "电池欠压", over_temperature: "机柜高温", door_open: "门禁告警（防盗）", backhaul_down: "回传中断", cell_faulty: "小区故障" },
    pilot_stages: { declared: "申报", approved: "立项", building: "建设", accepted: "验收", promoted: "示范推广" },
    stages: { planned: "规划", approved: "站址落实", built: "塔体建成", powered: "市电引入", installed: "设备安装", on_air: "开通", accepted: "入网验收" },
    operators: { cmcc: "中国移动", cucc: "中国联通", ctcc: "中国电信", cbn: "中国广电" },
    standings: { on_air: "已开通", on_track: "正常", at_risk: "有风险", overdue: "逾期" },
    kinds: { access: "进场受阻", power: "引电困难", fees: "违规收费", dispute: "群众阻工", permit: "规划审批", interference: "卫星地球站干扰协调", relocation: "拆迁改建", damage: "窃电破坏" },
    power_source: { mains: "市电", battery: "蓄电池", generator: "油机", none: "无" },
    supply: { direct: "直供电", transferred: "转供电" },
    cell_state: { active: "工作", inactive: "未激活", faulty: "故障" },
    counties: { "371502": "东昌府区", "371503": "茌平区", "371521": "阳谷县", "371522": "莘县", "371524": "东阿县", "371525": "冠县", "371526": "高唐县", "371581": "临清市" },
  },
  en: {
    title: "Liaocheng 5G rollout map", screen_title: "Liaocheng 5G rollout", screen_link: "Wall screen", full_screen: "Full screen", county: "County", operator: "Operator", stage: "Stage", all: "All",
    progress: "Progress", coverage: "Area coverage", gaps: "Coverage gaps (next sites)", layers: "Layers and legend",
    footprints: "Footprints", earth: "Earth stations", checklist: "Monthly checklist", export: "Export", field: "Field-report page",
    sites_shown: "{n} sites shown", area: "Area", covered: "Covered", continuous: "Continuous", yes: "yes", no: "no",
    on_air_of: "{n} of {t} on air", on_air_at_deadline: "{n} of {t} on air by the deadline", deadline: "due {d}", areas_met: "target areas continuously covered: {m} of {a}",
    areas_note: "", city_targets: "city targets",
    gap_item: "{area}: about {km} km²",
    planned: "Planned on air", standing: "Standing", last_report: "Last report", power: "Power", battery: "Battery", temp: "Cabinet",
    backhaul: "Backhaul", cells: "Cells", history: "Stage history", obstacles: "Open obstacles", none: "none", up: "up", down: "down",
    alarms: "Alarms", flagged: "Earth-station coordination needed", on_air: "On air", site_id: "Site id", door: "Cabinet door",
    door_open: "open", door_closed: "closed", latency: "latency", supply_label: "Supply",
    candidates: "Proposed new sites", candidate_item: "{area} no. {i}: +{add}% covered ({after}% in all)",
    area_sites: "{inside} radiating sites inside, {reaching} footprints reaching in", of_operator: " ({op} sites)",
    pilots: "5G+ application pilots", pilots_done: "{d} of {t} accepted; {b} without 5G", pilot_blocked: "without 5G",
    as_of: "Figures as of {t}", replaying: "Replay: end of {m}", live: "Live", replay: "Replay", play: "Play", pause: "Pause",
    met: "met", missed: "missed", due_in: "{n} days left", due_today: "due today",
    ranking_county: "Counties against the schedule", ranking_operator: "Operators against the schedule",
    rank: "Rank", expected: "Expected", against: "Against schedule", sites: "Planned", built: "Built",
    pace: { on_track: "on track", behind: "behind", far_behind: "far behind", none: "no task" },
    pace_legend: { on_track: "on track (≥100%)", behind: "behind (90–100%)", far_behind: "far behind (<90%)", none: "no task" },
    map_legend: "Legend", cluster_legend: "Cluster: number of sites, ring: share of each stage", alarm_legend: "Site with an alarm", pilot_legend: "5G+ pilot project", blocked_ring: "dashed red ring: holds alarmed sites",
    replay_marker: "replayed month", operator_ranking: "Operators against the schedule", cell_count: "{b} ×{n} {s}",
    county_figures: "{c} at a glance", operator_figures: "{o} at a glance",
    search: "Search a site id or name", no_match: "No such site",
    target_line: "Target", schedule_line: "Schedule (backward-planned)", projection_line: "At the current pace", reach: "reaches the {t} target in {m}",
    reached: "reached the {t} target in {m}", never: "does not reach the {t} target at the current pace", late: " (after the deadline)",
    per_month: "{n} new on air per month over the last {k} months",
    legend_stages: "Site stages", legend_clusters: "Site clusters (ring: share of each stage)", legend_pace: "Counties against the schedule",
    legend_coverage: "Area coverage", legend_alarms: "Alarms", legend_pilots: "5G+ application pilots",
    boundaries: "County boundaries", clusters_note: "number: sites",
    sign_in: "Sign in", token: "Access token", sign_in_note: "Reading needs an access token here. Ask the IT bureau's administrator for one (a read-only token is enough).",
    wrong_token: "The token is not valid or has expired; check it and try again.", no_right: "This token may not read this ({m}).",
    unreachable: "The collector cannot be reached; try again shortly.", signed_in_as: "Signed in: {n}", sign_out: "Sign out",
    refreshed: "Refreshed {t}", screen_on_air: "Sites on air", screen_target: "{t} target",
    month_label: "{y}-{m}",
    alarm_kinds: { offline: "Offline", mains_lost: "Mains lost", battery_low: "Battery low", over_temperature: "Over temperature", door_open: "Door open (theft)", backhaul_down: "Backhaul down", cell_faulty: "Cell faulty" },
    pilot_stages: { declared: "Declared", approved: "Approved", building: "Under construction", accepted: "Accepted", promoted: "Promoted" },
    stages: { planned: "Planned", approved: "Site approved", built: "Tower built", powered: "Powered", installed: "Installed", on_air: "On air", accepted: "Accepted" },
    operators: { cmcc: "China Mobile", cucc: "China Unicom", ctcc: "China Telecom", cbn: "China Broadnet" },
    standings: { on_air: "on air", on_track: "on track", at_risk: "at risk", overdue: "overdue" },
    kinds: { access: "Access refused", power: "Power hookup", fees: "Fees demanded", dispute: "Residents' dispute", permit: "Planning permit", interference: "Earth-station coordination", relocation: "Relocation", damage: "Theft or damage" },
    power_source: { mains: "mains", battery: "battery", generator: "generator", none: "none" },
    supply: { direct: "direct", transferred: "transferred" },
    cell_state: { active: "active", inactive: "inactive", faulty: "faulty" },
    counties: { "371502": "Dongchangfu", "371503": "Chiping", "371521": "Yanggu", "371522": "Shenxian", "371524": "Dong'e", "371525": "Guanxian", "371526": "Gaotang", "371581": "Linqing" },
  },
};

const SP = window.SP = window.SP || {};
SP.lang = localStorage.getItem("sitepulse.lang") || (new URLSearchParams(location.search).get("lang") === "en" ? "en" : "zh");
/// A label, with `{name}` placeholders filled from `vars`.
SP.t = (k, vars) => String(I18N[SP.lang][k] ?? k).replace(/\{(\w+)\}/g, (_, v) => vars?.[v] ?? "");
/// A label from one of the dictionaries (`stages`, `operators`, …), or the value itself.
SP.word = (dict, k) => (I18N[SP.lang][dict] || {})[k] ?? k ?? "";
SP.countyName = (c) => I18N[SP.lang].counties[c] || c || "-";
SP.esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
SP.setLang = (l) => { SP.lang = l; localStorage.setItem("sitepulse.lang", l); };
/// A time in Liaocheng (UTC+8), to the minute.
SP.localTime = (iso) => {
  if (!iso) return "-";
  const d = new Date(Date.parse(iso) + 8 * 3600000).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 16)}`;
};
SP.monthLabel = (ym) => { const [y, m] = ym.split("-"); return SP.t("month_label", { y, m: SP.lang === "zh" ? String(Number(m)) : m }); };
SP.pct = (x) => (x == null ? "-" : (100 * x).toFixed(1) + "%");
SP.num = (n) => (n == null ? "-" : Number(n).toLocaleString(SP.lang === "zh" ? "zh-CN" : "en-GB"));
SP.PACE_COLORS = { on_track: "#2e9e5b", behind: "#f0a202", far_behind: "#d64541", none: "#b0b7bf" };
SP.STAGE_COLORS = { planned: "#9aa5b1", approved: "#b39ddb", built: "#7e57c2", powered: "#ffb300", installed: "#fb8c00", on_air: "#2e9e5b", accepted: "#1b5e20" };
SP.PILOT_COLORS = { declared: "#90caf9", approved: "#42a5f5", building: "#1565c0", accepted: "#00897b", promoted: "#004d40" };
SP.ALARM_KINDS = ["offline", "mains_lost", "door_open", "over_temperature", "battery_low", "backhaul_down", "cell_faulty"];
SP.ALARM_COLORS = { offline: "#616161", mains_lost: "#e65100", door_open: "#b71c1c", over_temperature: "#d81b60", battery_low: "#f9a825", backhaul_down: "#5e35b1", cell_faulty: "#6d4c41" };

/// A target's standing as /api/v1/progress gives it: met, missed (deadline passed, not met) or
/// due in `days_left` days.
SP.targetStatus = (tg) => {
  if (tg.met) return { key: "met", label: SP.t("met"), color: SP.PACE_COLORS.on_track };
  if (tg.deadline_passed) return { key: "missed", label: SP.t("missed"), color: SP.PACE_COLORS.far_behind };
  const days = tg.days_left;
  return { key: "due", days, label: days > 0 ? SP.t("due_in", { n: days }) : SP.t("due_today"), color: "#1565c0" };
};
/// Liaocheng's date of an instant, YYYY-MM-DD.
SP.localDate = (iso) => new Date(Date.parse(iso) + 8 * 3600000).toISOString().slice(0, 10);
