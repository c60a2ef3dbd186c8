// The task force's map: target areas shaded by coverage, sites by stage (clustered when zoomed
// out), footprints, gaps, earth stations; progress against the targets beside it. It reads the
// collector's API only.
"use strict";

const I18N = {
  zh: {
    title: "聊城市5G建设地图", county: "区县", operator: "运营商", stage: "阶段", all: "全部",
    progress: "建设进度", coverage: "区域覆盖", gaps: "覆盖缺口（建议补点）", layers: "图层",
    footprints: "覆盖范围", earth: "卫星地球站", checklist: "月调度清单", export: "导出", field: "现场上报页面",
    sites_shown: "显示站址 {n} 个", area: "区域", covered: "覆盖率", continuous: "连续覆盖", yes: "是", no: "否",
    on_air_of: "已开通 {n} / 目标 {t}（{d}前）", areas_met: "达标区域 {m} / {a}", gap_item: "{area}：约 {km} 平方公里",
    planned: "计划开通", standing: "进度", last_report: "最后上报", power: "供电", battery: "电池", temp: "机柜温度",
    backhaul: "回传", cells: "小区", history: "阶段记录", obstacles: "未销号困难", none: "无", up: "正常", down: "中断",
    flagged: "需与卫星地球站协调", month_axis: "月份", on_air: "累计开通",
    candidates: "建议新建站址", candidate_item: "{area} {i} 号：覆盖率 +{add}%（累计 {after}%）",
    area_sites: "区内开通站址 {inside} 个，覆盖到本区的站址 {reaching} 个", of_operator: "（{op}站址）",
    pilots: "5G+应用试点项目", pilots_done: "已验收 {d} / 目标 {t}，缺少5G覆盖 {b} 个", pilot_blocked: "缺少5G覆盖",
    pilot_stages: { declared: "申报", approved: "立项", building: "建设", accepted: "验收", promoted: "示范推广" },
    stages: { planned: "规划", approved: "站址落实", built: "塔体建成", powered: "市电引入", installed: "设备安装", on_air: "开通", accepted: "入网验收" },
    operators: { cmcc: "中国移动", cucc: "中国联通", ctcc: "中国电信", cbn: "中国广电" },
    standings: { on_air: "已开通", on_track: "正常", at_risk: "有风险", overdue: "逾期" },
    kinds: { access: "进场受阻", power: "引电困难", fees: "违规收费", dispute: "群众阻工", permit: "规划审批", interference: "卫星地球站干扰协调", relocation: "拆迁改建", damage: "窃电破坏" },
    counties: { "371502": "东昌府区", "371503": "茌平区", "371521": "阳谷县", "371522": "莘县", "371524": "东阿县", "371525": "冠县", "371526": "高唐县", "371581": "临清市" },
  },
  en: {
    title: "Liaocheng 5G rollout map", county: "County", operator: "Operator", stage: "Stage", all: "All",
    progress: "Progress", coverage: "Area coverage", gaps: "Coverage gaps (next sites)", layers: "Layers",
    footprints: "Footprints", earth: "Earth stations", checklist: "Monthly checklist", export: "Export", field: "Field-report page",
    sites_shown: "{n} sites shown", area: "Area", covered: "Covered", continuous: "Continuous", yes: "yes", no: "no",
    on_air_of: "{n} of {t} on air (by {d})", areas_met: "{m} of {a} areas met", gap_item: "{area}: about {km} km²",
    planned: "Planned on air", standing: "Standing", last_report: "Last report", power: "Power", battery: "Battery", temp: "Cabinet",
    backhaul: "Backhaul", cells: "Cells", history: "Stage history", obstacles: "Open obstacles", none: "none", up: "up", down: "down",
    flagged: "Earth-station coordination needed", month_axis: "Month", on_air: "On air",
    candidates: "Proposed new sites", candidate_item: "{area} no. {i}: +{add}% covered ({after}% in all)",
    area_sites: "{inside} radiating sites inside, {reaching} footprints reaching in", of_operator: " ({op} sites)",
    pilots: "5G+ application pilots", pilots_done: "{d} of {t} accepted; {b} without 5G", pilot_blocked: "without 5G",
    pilot_stages: { declared: "Declared", approved: "Approved", building: "Under construction", accepted: "Accepted", promoted: "Promoted" },
    stages: { planned: "Planned", approved: "Site approved", built: "Tower built", powered: "Powered", installed: "Installed", on_air: "On air", accepted: "Accepted" },
    operators: { cmcc: "China Mobile", cucc: "China Unicom", ctcc: "China Telecom", cbn: "China Broadnet" },
    standings: { on_air: "on air", on_track: "on track", at_risk: "at risk", overdue: "overdue" },
    kinds: { access: "Access refused", power: "Power hookup", fees: "Fees demanded", dispute: "Residents' dispute", permit: "Planning permit", interference: "Earth-station coordination", relocation: "Relocation", damage: "Theft or damage" },
    counties: { "371502": "Dongchangfu", "371503": "Chiping", "371521": "Yanggu", "371522": "Shenxian", "371524": "Dong'e", "371525": "Guanxian", "371526": "Gaotang", "371581": "Linqing" },
  },
};
const PILOT_COLORS = { declared: "#90caf9", approved: "#42a5f5", building: "#1565c0", accepted: "#00897b", promoted: "#004d40" };
const STAGE_COLORS = { planned: "#9aa5b1", approved: "#b39ddb", built: "#7e57c2", powered: "#ffb300", installed: "#fb8c00", on_air: "#2e9e5b", accepted: "#1b5e20" };

let lang = localStorage.getItem("sitepulse.lang") || (new URLSearchParams(location.search).get("lang") === "en" ? "en" : "zh");
const t = (k, vars) => String(I18N[lang][k] ?? k).replace(/\{(\w+)\}/g, (_, v) => vars?.[v] ?? "");
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const countyName = (c) => I18N[lang].counties[c] || c || "-";

async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

const state = { pilots: [], pilotProgress: null, sites: [], areas: null, coverage: null, gaps: [], earth: [], candidates: [], progress: null, monthly: null, config: null, index: null, drawn: 0, clusters: 0 };
const canvas = L.canvas({ padding: 0.3 });
const map = L.map("map", { preferCanvas: true, renderer: canvas, zoomControl: true, attributionControl: true });
const layers = {
  areas: L.layerGroup().addTo(map),
  footprints: L.layerGroup().addTo(map),
  gaps: L.layerGroup().addTo(map),
  candidates: L.layerGroup().addTo(map),
  earth: L.layerGroup().addTo(map),
  pilots: L.layerGroup().addTo(map),
  sites: L.layerGroup().addTo(map),
};

function shade(share) {
  // Red (uncovered) through amber to green (covered).
  const h = Math.round(120 * Math.max(0, Math.min(1, share)));
  return `hsl(${h}, 70%, 45%)`;
}

function drawAreas() {
  layers.areas.clearLayers();
  if (!state.areas) return;
  L.geoJSON(state.areas, {
    renderer: canvas,
    style: (f) => ({ color: "#34495e", weight: 1.5, fillColor: shade(f.properties.covered_share ?? 0), fillOpacity: 0.35 }),
    onEachFeature: (f, layer) => layer.bindTooltip(`${esc(f.properties.name)} · ${(100 * (f.properties.covered_share ?? 0)).toFixed(1)}%`
      + (state.operator ? esc(t("of_operator", { op: I18N[lang].operators[state.operator] })) : "")
      + `<br>${esc(t("area_sites", { inside: f.properties.sites_inside ?? 0, reaching: f.properties.footprints_reaching ?? 0 }))}`),
  }).addTo(layers.areas);
}

function filtered() {
  const c = $("f-county").value, o = $("f-operator").value, s = $("f-stage").value;
  return state.sites.filter((f) => {
    const p = f.properties;
    return (!c || p.county === c) && (!o || p.operators.includes(o)) && (!s || p.stage === s);
  });
}

function buildIndex() {
  const points = filtered();
  state.index = new Supercluster({ radius: 60, maxZoom: 14 }).load(points);
  state.shown = points.length;
  $("counts").textContent = t("sites_shown", { n: points.length.toLocaleString() });
  drawSites();
}

function drawSites() {
  layers.sites.clearLayers();
  layers.footprints.clearLayers();
  if (!state.index) return;
  const b = map.getBounds();
  const zoom = Math.round(map.getZoom());
  const items = state.index.getClusters([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], zoom);
  let drawn = 0, clusters = 0;
  for (const f of items) {
    const [lon, lat] = f.geometry.coordinates;
    if (f.properties.cluster) {
      clusters += 1;
      drawn += f.properties.point_count;
      const n = f.properties.point_count;
      const size = Math.round(22 + 8 * Math.log10(n));
      L.marker([lat, lon], {
        icon: L.divIcon({ html: `<div class="cluster" style="width:${size}px;height:${size}px;line-height:${size}px">${n >= 1000 ? Math.round(n / 100) / 10 + "k" : n}</div>`, className: "", iconSize: [size, size] }),
      }).on("click", () => map.setView([lat, lon], Math.min(state.index.getClusterExpansionZoom(f.properties.cluster_id), 18)))
        .addTo(layers.sites);
    } else {
      drawn += 1;
      const p = f.properties;
      L.circleMarker([lat, lon], { renderer: canvas, radius: 5, weight: p.earth_station ? 2 : 1, color: p.earth_station ? "#c62828" : "#fff", fillColor: STAGE_COLORS[p.stage] || "#999", fillOpacity: 0.95 })
        .on("click", () => showSite(p.id))
        .addTo(layers.sites);
      if ($("l-footprints").checked && p.radius_m > 0 && zoom >= 11) {
        L.circle([lat, lon], { renderer: canvas, radius: p.radius_m, weight: 0, fillColor: "#2e9e5b", fillOpacity: 0.12, interactive: false }).addTo(layers.footprints);
      }
    }
  }
  state.drawn = drawn;
  state.clusters = clusters;
}

function drawGaps() {
  layers.gaps.clearLayers();
  if (!$("l-gaps").checked) return;
  for (const g of state.gaps.slice(0, 50)) {
    // The widest uncovered circle about the gap's point, not its area as a disc: the gap's
    // ground, not its neighbours'.
    L.circle([g.lat, g.lon], { renderer: canvas, radius: Math.max(25, g.clearance_m ?? 0), color: "#c62828", weight: 1, dashArray: "4 3", fillOpacity: 0.05 })
      .bindTooltip(t("gap_item", { area: esc(g.area), km: (g.area_m2 / 1e6).toFixed(2) })).addTo(layers.gaps);
  }
}

/// The proposed positions for new sites, numbered in the order they were chosen per area.
function drawCandidates() {
  layers.candidates.clearLayers();
  if (!$("l-candidates").checked) return;
  for (const a of state.candidates) {
    a.candidates.forEach((c, i) => {
      L.marker([c.lat, c.lon], {
        icon: L.divIcon({ html: `<div class="candidate">${i + 1}</div>`, className: "", iconSize: [20, 20] }),
      }).bindTooltip(esc(candidateLabel(a, c, i))).addTo(layers.candidates);
      L.circle([c.lat, c.lon], { renderer: canvas, radius: c.radius_m, color: "#1565c0", weight: 1, dashArray: "2 3", fillOpacity: 0.04, interactive: false }).addTo(layers.candidates);
    });
  }
}

const candidateLabel = (a, c, i) => t("candidate_item", { area: a.area, i: i + 1, add: (100 * c.adds_share).toFixed(1), after: (100 * c.share_after).toFixed(1) });

function drawEarth() {
  layers.earth.clearLayers();
  if (!$("l-earth").checked) return;
  for (const e of state.earth) {
    L.circle([e.lat, e.lon], { renderer: canvas, radius: e.radius_m, color: "#6a1b9a", weight: 2, dashArray: "6 4", fillOpacity: 0.04 })
      .bindTooltip(`${esc(e.name)} · ${e.flagged.length} ${t("flagged")}`).addTo(layers.earth);
    L.circleMarker([e.lat, e.lon], { renderer: canvas, radius: 7, color: "#6a1b9a", fillColor: "#ce93d8", fillOpacity: 1 }).addTo(layers.earth);
  }
}

/// The pilot projects as diamonds coloured by stage; a red ring marks those 5G does not reach.
function drawPilots() {
  layers.pilots.clearLayers();
  if (!$("l-pilots").checked) return;
  for (const f of state.pilots) {
    const p = f.properties, [lon, lat] = f.geometry.coordinates;
    const icon = L.divIcon({ className: "pilot" + (p.blocked ? " blocked" : ""), iconSize: [18, 18],
      html: `<i style="background:${PILOT_COLORS[p.stage] || "#999"}"></i>` });
    // Above the site clusters: a project is what this layer is looked at for.
    L.marker([lat, lon], { icon, keyboard: false, zIndexOffset: 1000 })
      .bindTooltip(`${esc(p.name)} · ${esc(I18N[lang].pilot_stages[p.stage] || p.stage)}${p.blocked ? " · " + t("pilot_blocked") : ""}`)
      .addTo(layers.pilots);
  }
}

function drawPanel() {
  const p = state.progress, c = state.coverage;
  $("targets").innerHTML = (p?.targets || []).map((tg) => {
    const cov = c?.targets.find((x) => x.name === tg.name);
    const share = Math.min(1, tg.on_air / Math.max(1, tg.target_on_air));
    return `<div class="target"><b>${esc(tg.name)}</b> ${t("on_air_of", { n: tg.on_air.toLocaleString(), t: tg.target_on_air.toLocaleString(), d: tg.deadline })}
      <div class="bar"><div style="width:${(100 * share).toFixed(1)}%"></div></div>
      ${cov && cov.areas ? `<span class="muted">${t("areas_met", { m: cov.areas_met, a: cov.areas })}</span>` : ""}</div>`;
  }).join("");
  drawBurnup();
  $("cov-note").textContent = state.operator ? t("of_operator", { op: I18N[lang].operators[state.operator] }).replace(/[（）()]/g, "").trim() : "";
  $("areas").querySelector("thead").innerHTML = `<tr><th>${t("area")}</th><th>${t("covered")}</th><th>${t("continuous")}</th></tr>`;
  $("areas").querySelector("tbody").innerHTML = (c?.areas || []).map((a) =>
    `<tr><td>${esc(a.name)}</td><td class="n">${(100 * a.covered_share).toFixed(1)}%</td><td>${a.continuous ? t("yes") : t("no")}</td></tr>`).join("");
  $("gaps").innerHTML = state.gaps.slice(0, 10).map((g, i) =>
    `<li data-i="${i}">${t("gap_item", { area: esc(g.area), km: (g.area_m2 / 1e6).toFixed(2) })}</li>`).join("") || `<li>${t("none")}</li>`;
  $("gaps").querySelectorAll("li[data-i]").forEach((li) => li.addEventListener("click", () => {
    const g = state.gaps[Number(li.dataset.i)];
    map.setView([g.lat, g.lon], 14);
  }));
  const proposed = state.candidates.flatMap((a) => a.candidates.map((c, i) => [a, c, i]));
  $("candidates").innerHTML = proposed.slice(0, 15).map(([a, c, i], k) =>
    `<li data-k="${k}">${esc(candidateLabel(a, c, i))}</li>`).join("") || `<li>${t("none")}</li>`;
  $("candidates").querySelectorAll("li[data-k]").forEach((li) => li.addEventListener("click", () => {
    const [, c] = proposed[Number(li.dataset.k)];
    map.setView([c.lat, c.lon], 15);
  }));
  $("legend").innerHTML = Object.keys(STAGE_COLORS).map((s) => `<span><i style="background:${STAGE_COLORS[s]}"></i>${esc(I18N[lang].stages[s])}</span>`).join("")
    + `<span class="break"></span><span>${esc(t("pilots"))}：</span>` + Object.keys(PILOT_COLORS).map((s) => `<span><i class="diamond" style="background:${PILOT_COLORS[s]}"></i>${esc(I18N[lang].pilot_stages[s])}</span>`).join("")
    + `<span><i class="diamond ring"></i>${esc(t("pilot_blocked"))}</span>`;
  const pp = state.pilotProgress;
  $("pilots").textContent = pp && pp.total.projects ? t("pilots_done", { d: pp.total.done, t: pp.total.target ?? "-", b: pp.total.blocked }) : t("none");
}

function drawBurnup() {
  const svg = $("burnup"), m = state.monthly;
  if (!m || !m.months.length) { svg.innerHTML = ""; return; }
  const W = 320, H = 150, L0 = 36, B = 20, T = 8, R = 8;
  const months = m.months, targets = m.targets || [];
  const lastTarget = targets.reduce((a, x) => (x.deadline > a ? x.deadline : a), "").slice(0, 7);
  const end = months[months.length - 1].month > lastTarget ? months[months.length - 1].month : lastTarget;
  const [y0, m0] = months[0].month.split("-").map(Number), [y1, m1] = end.split("-").map(Number);
  const span = Math.max(1, (y1 - y0) * 12 + (m1 - m0));
  const maxY = Math.max(1, ...months.map((x) => x.on_air), ...targets.map((x) => x.on_air));
  const x = (ym) => { const [y, mo] = ym.split("-").map(Number); return L0 + ((y - y0) * 12 + (mo - m0)) / span * (W - L0 - R); };
  const y = (v) => H - B - v / maxY * (H - B - T);
  const line = months.map((p, i) => `${i ? "L" : "M"}${x(p.month).toFixed(1)},${y(p.on_air).toFixed(1)}`).join("");
  let plan = `M${x(months[0].month).toFixed(1)},${y(0).toFixed(1)}`;
  for (const tg of [...targets].sort((a, b) => (a.deadline < b.deadline ? -1 : 1))) plan += `L${x(tg.deadline.slice(0, 7)).toFixed(1)},${y(tg.on_air).toFixed(1)}`;
  svg.innerHTML = `
    <line x1="${L0}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#99a"/><line x1="${L0}" y1="${T}" x2="${L0}" y2="${H - B}" stroke="#99a"/>
    <text x="${L0 - 4}" y="${T + 8}" font-size="9" text-anchor="end">${maxY.toLocaleString()}</text>
    <text x="${L0 - 4}" y="${H - B}" font-size="9" text-anchor="end">0</text>
    <text x="${L0}" y="${H - 6}" font-size="9">${months[0].month}</text><text x="${W - R}" y="${H - 6}" font-size="9" text-anchor="end">${end}</text>
    <path d="${plan}" fill="none" stroke="#c62828" stroke-dasharray="4 3"/>
    ${targets.map((tg) => `<circle cx="${x(tg.deadline.slice(0, 7))}" cy="${y(tg.on_air)}" r="3" fill="#c62828"><title>${esc(tg.name)}: ${tg.on_air}</title></circle>`).join("")}
    <path d="${line}" fill="none" stroke="#2e9e5b" stroke-width="2"><title>${t("on_air")}</title></path>`;
}

function fillSelect(id, entries) {
  const el = $(id), v = el.value;
  el.innerHTML = `<option value="">${t("all")}</option>` + entries.map(([k, label]) => `<option value="${esc(k)}">${esc(label)}</option>`).join("");
  el.value = v;
}

function renderLabels() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  $("lang").textContent = lang === "zh" ? "EN" : "中文";
  document.querySelectorAll("[data-t]").forEach((e) => (e.textContent = t(e.dataset.t)));
  const counties = [...new Set([...Object.keys(I18N.zh.counties), ...state.sites.map((f) => f.properties.county).filter(Boolean)])].sort();
  fillSelect("f-county", counties.map((c) => [c, countyName(c)]));
  fillSelect("f-operator", Object.entries(I18N[lang].operators));
  fillSelect("f-stage", Object.entries(I18N[lang].stages));
  drawPanel();
  drawPilots();
}

async function showSite(id) {
  const d = await api(`/api/v1/sites/${encodeURIComponent(id)}`);
  const s = d.site, l = d.latest;
  const rows = [
    [t("stage"), I18N[lang].stages[s.stage]],
    [t("county"), countyName(s.county)],
    [t("operator"), (s.operators || []).map((o) => I18N[lang].operators[o]).join(", ")],
    [t("planned"), s.planned_on_air || "-"],
    [t("standing"), d.standing ? I18N[lang].standings[d.standing.standing] + (d.standing.days_overdue ? ` (${d.standing.days_overdue})` : "") : "-"],
    [t("last_report"), s.ts ? new Date(s.ts).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: "Asia/Shanghai" }) : "-"],
  ];
  if (l) {
    rows.push([t("power"), `${l.power.source} / ${l.power.supply}`], [t("battery"), `${l.power.battery_v.toFixed(1)} V`],
      [t("temp"), `${l.cabinet.temp_c.toFixed(1)} °C`], [t("backhaul"), l.backhaul.up ? `${t("up")} ${l.backhaul.latency_ms ?? ""} ms` : t("down")],
      [t("cells"), (l.cells || []).map((c) => `${c.band} ${c.state}`).join(", ") || "-"]);
  }
  const history = [...(d.stage_changes || []).map((c) => [c.ts, c.to, ""]), ...(d.milestones || []).map((m) => [m.at, m.stage, m.reporter])]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([ts, st, who]) => `<li>${esc(ts.slice(0, 10))} ${esc(I18N[lang].stages[st] || st)} ${esc(who)}</li>`).join("");
  const open = (d.obstacles || []).filter((o) => !o.resolved)
    .map((o) => `<li>${esc(I18N[lang].kinds[o.kind])} · ${esc(o.responsible_unit)} · ${esc(o.due)}<br>${esc(o.description)}</li>`).join("");
  const el = $("detail");
  el.hidden = false;
  el.innerHTML = `<h2>${esc(s.name || s.site)} <span class="muted">${esc(s.site)}</span></h2>
    <dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>
    <b>${t("history")}</b><ol>${history || `<li>${t("none")}</li>`}</ol>
    <b>${t("obstacles")}</b><ol>${open || `<li>${t("none")}</li>`}</ol>`;
  el.scrollIntoView({ behavior: "smooth" });
}

async function loadSites() {
  state.sites = (await api("/api/v1/sites.geojson")).features;
  buildIndex();
}

async function loadOverview() {
  // With an operator chosen, the areas are shaded by that carrier's sites alone.
  state.operator = $("f-operator").value || "";
  const op = state.operator ? `operator=${encodeURIComponent(state.operator)}` : "";
  const [areas, coverage, gaps, earth, progress, monthly, pilots, pilotProgress] = await Promise.all([
    api(`/api/v1/areas?${op}`), api(`/api/v1/coverage?${op}`), api(`/api/v1/coverage/gaps?limit=50&${op}`),
    api("/api/v1/earth-stations"), api("/api/v1/progress"), api("/api/v1/progress/monthly"),
    api("/api/v1/applications.geojson"), api("/api/v1/applications/progress")]);
  Object.assign(state, { areas, coverage, gaps: gaps.gaps, earth: earth.earth_stations, progress, monthly,
    pilots: pilots.features, pilotProgress });
  drawAreas(); drawGaps(); drawEarth(); drawPilots(); drawPanel();
}

/// The proposed new sites: the heaviest search the map asks for, so only with its layer on, and
/// apart from the rest so that a slow answer holds nothing up.
async function loadCandidates() {
  if (!$("l-candidates").checked) { state.candidates = []; drawCandidates(); drawPanel(); return; }
  const op = state.operator ? `&operator=${encodeURIComponent(state.operator)}` : "";
  state.candidates = (await api(`/api/v1/coverage/candidates?n=3${op}`)).areas;
  drawCandidates(); drawPanel();
}

/// Pixels painted on the map's canvases: a blank map has none.
function paintedPixels() {
  let n = 0;
  for (const c of document.querySelectorAll("#map canvas")) {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 16) if (d[i] > 0) n += 1;
  }
  return n;
}

// What a test (or a curious engineer) can read from the console.
window.sitepulseMap = {
  ready: false,
  /// Milliseconds to re-filter every site and redraw (what a filter change costs).
  filterMs: () => { const t0 = performance.now(); buildIndex(); return performance.now() - t0; },
  /// Milliseconds to redraw the current view (what each pan or zoom costs).
  redrawMs: () => { const t0 = performance.now(); drawSites(); return performance.now() - t0; },
  /// Zooms to `z` on the current centre.
  zoomTo: (z) => map.setZoom(z, { animate: false }),
  stats: () => ({ sites: state.sites.length, shown: state.shown, drawn: state.drawn, clusters: state.clusters,
    areas: state.areas ? state.areas.features.length : 0, pilots: state.pilots.length, painted: paintedPixels(), zoom: map.getZoom() }),
};

async function start() {
  const cfg = await api("/api/v1/map/config");
  state.config = cfg;
  if (cfg.tile_url) L.tileLayer(cfg.tile_url, { attribution: cfg.tile_attribution || "", maxZoom: 19 }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  map.setView([cfg.center[0], cfg.center[1]], cfg.zoom);
  // A view can be linked to: ?county=371502&operator=cmcc&stage=on_air.
  const params = new URLSearchParams(location.search);
  renderLabels();
  for (const k of ["county", "operator", "stage"]) if (params.get(k)) $(`f-${k}`).value = params.get(k);
  await Promise.all([loadOverview(), loadSites()]);
  loadCandidates().catch(console.warn);
  // Everything in view: the areas and every site.
  const bounds = L.latLngBounds([]);
  if (state.areas && state.areas.features.length) bounds.extend(L.geoJSON(state.areas).getBounds());
  for (const f of state.sites) bounds.extend([f.geometry.coordinates[1], f.geometry.coordinates[0]]);
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20] });
  renderLabels();
  const prev = new Date(); prev.setDate(1); prev.setMonth(prev.getMonth() - 1);
  $("cl-month").value = (state.progress?.as_of || prev.toISOString()).slice(0, 7);
  map.on("moveend zoomend", drawSites);
  for (const id of ["f-county", "f-operator", "f-stage"]) $(id).addEventListener("change", buildIndex);
  $("f-operator").addEventListener("change", () => loadOverview().then(loadCandidates).catch(console.warn));
  $("l-candidates").addEventListener("change", () => loadCandidates().catch(console.warn));
  $("l-footprints").addEventListener("change", drawSites);
  $("l-gaps").addEventListener("change", drawGaps);
  $("l-earth").addEventListener("change", drawEarth);
  $("l-pilots").addEventListener("change", drawPilots);
  $("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("sitepulse.lang", lang); renderLabels(); });
  $("checklist").addEventListener("submit", (e) => {
    e.preventDefault();
    location.href = `/api/v1/checklist/${$("cl-month").value}?format=${$("cl-format").value}&lang=${lang}`;
  });
  drawSites();
  window.sitepulseMap.ready = true;
  // Keep up with the rollout: sites every 30 s, coverage and progress every 10 s.
  setInterval(() => loadOverview().catch(console.warn), 10000);
  setInterval(() => loadSites().catch(console.warn), 30000);
  setInterval(() => loadCandidates().catch(console.warn), 60000);
}

start().catch((e) => { console.error(e); window.sitepulseMap.error = String(e); });
