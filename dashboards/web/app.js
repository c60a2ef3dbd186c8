// The task force's map: the county boundaries as the base layer, shaded by completion against
// the backward schedule; sites by stage, in clusters whose ring shows their stage mix; target
// areas by coverage, gaps, proposed sites, earth stations, pilot projects and alarms; the panel
// with each target's standing, the burn-up chart, rankings, and a replay of any past month.
// It reads the collector's API only (signing in first where reading needs a token).
"use strict";

// `SP` (labels, formats, access) comes from i18n.js, access.js and burnup.js.
const { t, esc, word } = SP;
const $ = (id) => document.getElementById(id);
const STAGES = Object.keys(SP.STAGE_COLORS);
/// Alarm marks drawn at most at once.
const ALARMS_MAX = 200;

// ---- Coordinates: everything is held in WGS-84; drawn in the tiles' system (GCJ-02 for
// AutoNavi-style tiles), so that sites, areas and boundaries line up with the basemap.
const GCJ = { a: 6378245.0, ee: 0.00669342162296594323 };
function wgsToGcj(lat, lon) {
  if (lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) return [lat, lon];
  const x = lon - 105.0, y = lat - 35.0, PI = Math.PI;
  let dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
    + (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0
    + (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0
    + (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
  let dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
    + (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0
    + (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0
    + (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
  const rad = lat / 180.0 * PI, magic = 1 - GCJ.ee * Math.sin(rad) ** 2, sq = Math.sqrt(magic);
  dLat = (dLat * 180.0) / ((GCJ.a * (1 - GCJ.ee)) / (magic * sq) * PI);
  dLon = (dLon * 180.0) / (GCJ.a / sq * Math.cos(rad) * PI);
  return [lat + dLat, lon + dLon];
}
let gcj = false;
/// A WGS-84 [lat, lon] as the map draws it.
const ll = (lat, lon) => (gcj ? wgsToGcj(lat, lon) : [lat, lon]);
const coordsToLatLng = (c) => L.latLng(...ll(c[1], c[0]));

// ---- State
const state = {
  config: null, boundaries: null, areas: null, coverage: null, gaps: [], earth: [], candidates: [],
  progress: null, monthly: null, pilots: [], pilotProgress: null,
  replay: null, replayMonth: null, replayCache: new Map(), alarmed: [], timings: {},
  cols: null, n: 0, byId: new Map(), earth_station: new Set(), mx: null, my: null, stageShown: null, shownList: null,
  shown: 0, drawn: 0, clusters: 0, selected: null, popupSite: null,
};
const canvas = L.canvas({ padding: 0.3 });
const map = L.map("map", { preferCanvas: true, renderer: canvas, zoomControl: true, attributionControl: true });
L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);
map.createPane("boundaries").style.zIndex = 350;
map.createPane("labels").style.zIndex = 640;
const layers = {
  boundaries: L.layerGroup().addTo(map),
  areas: L.layerGroup().addTo(map),
  footprints: L.layerGroup().addTo(map),
  gaps: L.layerGroup().addTo(map),
  candidates: L.layerGroup().addTo(map),
  earth: L.layerGroup().addTo(map),
  sites: L.layerGroup().addTo(map),
  alarms: L.layerGroup().addTo(map),
  pilots: L.layerGroup().addTo(map),
  selection: L.layerGroup().addTo(map),
};

const county = () => $("f-county").value;
const operator = () => $("f-operator").value;
/// Progress as the panel shows it: the replayed month's, or now.
const progressNow = () => state.replay?.progress || state.progress;

function shade(share) {
  // Red (uncovered) through amber to green (covered).
  const h = Math.round(120 * Math.max(0, Math.min(1, share)));
  return `hsl(${h}, 70%, 45%)`;
}

// ---- Counties: the base layer, shaded by completion against the schedule.
function countyRow(code) {
  return progressNow()?.by_county.find((c) => c.county === code) || null;
}

function drawBoundaries() {
  layers.boundaries.clearLayers();
  if (!state.boundaries) return;
  const chosen = county();
  L.geoJSON(state.boundaries, {
    pane: "boundaries", renderer: L.canvas({ pane: "boundaries" }), coordsToLatLng,
    style: (f) => {
      const row = countyRow(f.properties.county);
      const pace = row?.pace || "none";
      const on = !chosen || chosen === f.properties.county;
      return { color: on ? "#2c3e50" : "#95a5a6", weight: chosen === f.properties.county ? 3 : 1.5,
        fillColor: SP.PACE_COLORS[pace], fillOpacity: on ? 0.22 : 0.06 };
    },
    onEachFeature: (f, layer) => {
      layer.bindTooltip(() => countyTooltip(f.properties.county), { sticky: true });
      layer.on("click", () => chooseCounty(f.properties.county));
    },
  }).addTo(layers.boundaries);
  // Names at the middle of each county, above everything.
  for (const f of state.boundaries.features) {
    const c = L.geoJSON(f, { coordsToLatLng }).getBounds().getCenter();
    const name = SP.lang === "zh" ? f.properties.name : (f.properties.name_en || f.properties.name);
    L.marker(c, { pane: "labels", interactive: false, keyboard: false,
      icon: L.divIcon({ className: "county-label", html: `<span>${esc(name)}</span>`, iconSize: null }) }).addTo(layers.boundaries);
  }
}

function countyTooltip(code) {
  const r = countyRow(code);
  if (!r) return esc(SP.countyName(code));
  return `<b>${esc(SP.countyName(code))}</b> · ${esc(word("pace", r.pace || "none"))}<br>`
    + `${esc(t("on_air"))} ${SP.num(r.on_air)} / ${esc(t("expected"))} ${SP.num(r.expected)}`
    + `<br>${esc(t("against"))} ${SP.pct(r.schedule_completion)}${r.schedule_rank ? ` · ${esc(t("rank"))} ${r.schedule_rank}` : ""}`;
}

function chooseCounty(code) {
  $("f-county").value = code === county() ? "" : code;
  applyFilter(true);
}

// ---- Target areas, by coverage (now or at the replayed month).
function areaShare(name) {
  if (state.replay) return state.replay.areas.find((a) => a.name === name)?.covered_share ?? 0;
  return state.areas?.features.find((f) => f.properties.name === name)?.properties.covered_share ?? 0;
}

function drawAreas() {
  layers.areas.clearLayers();
  if (!state.areas) return;
  const c = county();
  L.geoJSON({ ...state.areas, features: state.areas.features.filter((f) => !c || f.properties.county === c) }, {
    renderer: canvas, coordsToLatLng,
    style: (f) => ({ color: "#34495e", weight: 1.2, fillColor: shade(areaShare(f.properties.name)), fillOpacity: 0.35 }),
    onEachFeature: (f, layer) => layer.bindTooltip(() => `${esc(f.properties.name)} · ${(100 * areaShare(f.properties.name)).toFixed(1)}%`
      + (state.operator ? esc(t("of_operator", { op: word("operators", state.operator) })) : "")
      + (state.replay ? "" : `<br>${esc(t("area_sites", { inside: f.properties.sites_inside ?? 0, reaching: f.properties.footprints_reaching ?? 0 }))}`)),
  }).addTo(layers.areas);
}

// ---- Sites: clusters with their stage mix. The sites come in columns (/api/v1/map/sites);
// clusters are the cells of a 60-pixel grid at the zoom shown, summed over the sites in view,
// so that a filter or a replayed month costs one pass over the sites and no index to rebuild.
const CELL_PX = 60;
/// From this zoom on every site is drawn alone.
const SINGLE_ZOOM = 15;
const NO_STAGE = 255;

/// A site's index by its id.
const siteIndex = (id) => state.byId.get(id);
const hasAlarm = (i) => state.cols.alarms.has(i);

/// The stage codes shown: now, or at the replayed month (NO_STAGE for a site not known then).
function shownStages() {
  const n = state.n, out = state.stageShown;
  const src = state.replay ? state.replay.stages : state.cols.stage;
  for (let i = 0; i < n; i++) {
    const c = src.charCodeAt(i) - 48;
    out[i] = c >= 0 && c < STAGES.length ? c : NO_STAGE;
  }
}

function buildIndex() {
  if (!state.cols) return;
  shownStages();
  const c = county(), o = operator(), s = $("f-stage").value;
  const cc = c ? state.cols.counties.indexOf(c) : -2;
  const ob = o ? 1 << state.cols.operators.indexOf(o) : 0;
  const sk = s ? STAGES.indexOf(s) : -1;
  const st = state.stageShown, list = state.shownList;
  let k = 0;
  for (let i = 0; i < state.n; i++) {
    if (st[i] === NO_STAGE || (c && state.cols.county[i] !== cc) || (o && !(state.cols.operator_bits[i] & ob)) || (s && st[i] !== sk)) continue;
    list[k++] = i;
  }
  state.shown = k;
  state.alarmed = [];
  for (let j = 0; j < k; j++) if (hasAlarm(list[j])) state.alarmed.push(list[j]);
  $("counts").textContent = t("sites_shown", { n: SP.num(k) });
  drawSites();
}

/// A ring of the stage mix, the count in the middle.
function donut(counts, n, alarms) {
  const size = Math.round(26 + 9 * Math.log10(n)), r = size / 2, w = Math.max(5, size * 0.2);
  const rr = r - w / 2, C = 2 * Math.PI * rr;
  let off = 0, arcs = "";
  for (let k = 0; k < STAGES.length; k++) {
    const v = counts[k] / n;
    if (v <= 0) continue;
    arcs += `<circle r="${rr}" cx="${r}" cy="${r}" fill="none" stroke="${SP.STAGE_COLORS[STAGES[k]]}" stroke-width="${w}" stroke-dasharray="${(v * C).toFixed(2)} ${C.toFixed(2)}" stroke-dashoffset="${(-off * C).toFixed(2)}" transform="rotate(-90 ${r} ${r})"/>`;
    off += v;
  }
  const label = n >= 1000 ? (Math.round(n / 100) / 10) + "k" : String(n);
  const ring = alarms ? `<circle r="${r - 1}" cx="${r}" cy="${r}" fill="none" stroke="#b71c1c" stroke-width="1.5" stroke-dasharray="3 2"/>` : "";
  return { size, html: `<svg width="${size}" height="${size}" viewBox="0 0 ${size} ${size}"><circle r="${r - w}" cx="${r}" cy="${r}" fill="#fff" fill-opacity="0.92"/>${arcs}${ring}<text x="${r}" y="${r}" dy="0.35em" text-anchor="middle" font-size="${Math.max(10, size * 0.3)}" font-weight="700" fill="#17202a">${label}</text></svg>` };
}

/// Web Mercator of a WGS-84 position, 0–1 across the world.
const mercX = (lon) => (lon + 180) / 360;
const mercY = (lat) => { const s = Math.sin(lat * Math.PI / 180); return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI); };
const mercLat = (y) => Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180 / Math.PI;

function drawSites() {
  layers.sites.clearLayers();
  layers.footprints.clearLayers();
  layers.alarms.clearLayers();
  if (!state.cols) return;
  const cols = state.cols, list = state.shownList, st = state.stageShown;
  const b = map.getBounds(), zoom = Math.round(map.getZoom());
  // In view (widened by a cell, and for the GCJ-02 shift), in the sites' own WGS-84.
  const pad = (b.getEast() - b.getWest()) * 0.05 + (gcj ? 0.01 : 0);
  const w = b.getWest() - pad, e = b.getEast() + pad, so = b.getSouth() - pad, no = b.getNorth() + pad;
  const scale = 256 * Math.pow(2, zoom) / CELL_PX;
  const showAlarms = $("l-alarms").checked && !state.replay;
  const singles = [];
  const cells = new Map();
  for (let j = 0; j < state.shown; j++) {
    const i = list[j], lon = cols.lon[i], lat = cols.lat[i];
    if (lon < w || lon > e || lat < so || lat > no) continue;
    if (zoom >= SINGLE_ZOOM) { singles.push(i); continue; }
    const x = state.mx[i] * scale, y = state.my[i] * scale;
    const key = Math.floor(x) * 1048576 + Math.floor(y);
    let c = cells.get(key);
    if (!c) { c = { n: 0, x: 0, y: 0, first: i, a: 0, s: new Uint32Array(STAGES.length) }; cells.set(key, c); }
    c.n += 1; c.x += state.mx[i]; c.y += state.my[i]; c.s[st[i]] += 1;
    if (hasAlarm(i)) c.a += 1;
  }
  let drawn = 0, clusters = 0;
  for (const c of cells.values()) {
    if (c.n === 1) { singles.push(c.first); continue; }
    clusters += 1;
    drawn += c.n;
    const lat = mercLat(c.y / c.n), lon = c.x / c.n * 360 - 180;
    const d = donut(c.s, c.n, showAlarms ? c.a : 0);
    L.marker(ll(lat, lon), { icon: L.divIcon({ html: d.html, className: "cluster", iconSize: [d.size, d.size] }) })
      .on("click", () => map.setView(ll(lat, lon), Math.min(zoom + 2, SINGLE_ZOOM)))
      .addTo(layers.sites);
  }
  const drawnAlone = new Set();
  for (const i of singles) {
    drawn += 1;
    drawnAlone.add(i);
    const lat = cols.lat[i], lon = cols.lon[i], stage = STAGES[st[i]], earth = state.earth_station.has(i);
    L.circleMarker(ll(lat, lon), { renderer: canvas, radius: zoom >= 14 ? 7 : 5, weight: earth ? 2 : 1, color: earth ? "#c62828" : "#fff", fillColor: SP.STAGE_COLORS[stage] || "#999", fillOpacity: 0.95 })
      .bindTooltip(`${esc(cols.name[i] || cols.id[i])} · ${esc(word("stages", stage))}`)
      .on("click", () => showSite(cols.id[i]))
      .addTo(layers.sites);
    if ($("l-footprints").checked && cols.radius_m[i] > 0 && zoom >= 11 && !state.replay) {
      L.circle(ll(lat, lon), { renderer: canvas, radius: cols.radius_m[i], weight: 0, fillColor: "#2e9e5b", fillOpacity: 0.12, interactive: false }).addTo(layers.footprints);
    }
  }
  // Alarmed sites show at every zoom, one mark each (at most ALARMS_MAX in view; a cluster's
  // dashed red ring says it holds alarmed sites).
  if (showAlarms) {
    let n = 0;
    for (const i of state.alarmed) {
      const lon = cols.lon[i], lat = cols.lat[i];
      if (lon < w || lon > e || lat < so || lat > no) continue;
      if (++n > ALARMS_MAX) break;
      drawAlarm(lat, lon, i);
    }
  }
  state.drawn = drawn;
  state.clusters = clusters;
}

function drawAlarm(lat, lon, i) {
  const alarms = state.cols.alarms.get(i), name = state.cols.name[i] || state.cols.id[i];
  const kind = SP.ALARM_KINDS.find((k) => alarms.includes(k)) || alarms[0];
  L.marker(ll(lat, lon), { keyboard: false, zIndexOffset: 500,
    icon: L.divIcon({ className: "alarm", iconSize: [16, 16], html: `<i style="border-bottom-color:${SP.ALARM_COLORS[kind] || "#b71c1c"}"></i>` }) })
    .bindTooltip(`${esc(name)}：${alarms.map((a) => esc(word("alarm_kinds", a))).join("、")}`)
    .on("click", () => showSite(state.cols.id[i]))
    .addTo(layers.alarms);
}

// ---- The other layers.
// Gaps and candidates belong to an area; an area to a county.
function areaCounty(name) {
  return state.areas?.features.find((f) => f.properties.name === name)?.properties.county;
}

function drawGaps() {
  layers.gaps.clearLayers();
  if (!$("l-gaps").checked || state.replay) return;
  for (const g of visibleGaps().slice(0, 50)) {
    // The widest uncovered circle about the gap's point, not its area as a disc.
    L.circle(ll(g.lat, g.lon), { renderer: canvas, radius: Math.max(25, g.clearance_m ?? 0), color: "#c62828", weight: 1, dashArray: "4 3", fillOpacity: 0.05 })
      .bindTooltip(t("gap_item", { area: esc(g.area), km: (g.area_m2 / 1e6).toFixed(2) })).addTo(layers.gaps);
  }
}
const visibleGaps = () => state.gaps.filter((g) => !county() || areaCounty(g.area) === county());

/// The proposed positions for new sites, numbered in the order they were chosen per area.
function drawCandidates() {
  layers.candidates.clearLayers();
  if (!$("l-candidates").checked || state.replay) return;
  for (const a of visibleCandidates()) {
    a.candidates.forEach((c, i) => {
      L.marker(ll(c.lat, c.lon), { icon: L.divIcon({ html: `<div class="candidate">${i + 1}</div>`, className: "", iconSize: [20, 20] }) })
        .bindTooltip(esc(candidateLabel(a, c, i))).addTo(layers.candidates);
      L.circle(ll(c.lat, c.lon), { renderer: canvas, radius: c.radius_m, color: "#1565c0", weight: 1, dashArray: "2 3", fillOpacity: 0.04, interactive: false }).addTo(layers.candidates);
    });
  }
}
const visibleCandidates = () => state.candidates.filter((a) => !county() || areaCounty(a.area) === county());
const candidateLabel = (a, c, i) => t("candidate_item", { area: a.area, i: i + 1, add: (100 * c.adds_share).toFixed(1), after: (100 * c.share_after).toFixed(1) });

function drawEarth() {
  layers.earth.clearLayers();
  if (!$("l-earth").checked) return;
  for (const e of state.earth) {
    L.circle(ll(e.lat, e.lon), { renderer: canvas, radius: e.radius_m, color: "#6a1b9a", weight: 2, dashArray: "6 4", fillOpacity: 0.04 })
      .bindTooltip(`${esc(e.name)} · ${e.flagged.length} ${t("flagged")}`).addTo(layers.earth);
    L.circleMarker(ll(e.lat, e.lon), { renderer: canvas, radius: 7, color: "#6a1b9a", fillColor: "#ce93d8", fillOpacity: 1 }).addTo(layers.earth);
  }
}

/// The pilot projects as diamonds coloured by stage; a red ring marks those 5G does not reach.
function drawPilots() {
  layers.pilots.clearLayers();
  if (!$("l-pilots").checked || state.replay) return;
  for (const f of state.pilots) {
    const p = f.properties, [lon, lat] = f.geometry.coordinates;
    if (county() && p.county && p.county !== county()) continue;
    const icon = L.divIcon({ className: "pilot" + (p.blocked ? " blocked" : ""), iconSize: [18, 18],
      html: `<i style="background:${SP.PILOT_COLORS[p.stage] || "#999"}"></i>` });
    L.marker(ll(lat, lon), { icon, keyboard: false, zIndexOffset: 1000 })
      .bindTooltip(`${esc(p.name)} · ${esc(word("pilot_stages", p.stage))}${p.blocked ? " · " + t("pilot_blocked") : ""}`)
      .addTo(layers.pilots);
  }
}

function drawLayers() {
  drawBoundaries(); drawAreas(); drawGaps(); drawCandidates(); drawEarth(); drawPilots();
}

// ---- The panel.
function drawPanel() {
  const p = progressNow(), c = state.coverage;
  $("as-of").textContent = state.replay ? t("replaying", { m: SP.monthLabel(state.replayMonth) }) : t("as_of", { t: SP.localTime(p?.as_of) });
  $("as-of").classList.toggle("replaying", !!state.replay);
  $("progress-scope").textContent = county() || operator() ? `（${t("city_targets")}）` : "";
  $("targets").innerHTML = (p?.targets || []).map((tg) => {
    const cov = c?.targets.find((x) => x.name === tg.name);
    const st = SP.targetStatus(tg);
    const share = Math.min(1, tg.on_air / Math.max(1, tg.target_on_air));
    // Past its deadline, a target's figure is the sites on air when the deadline ended.
    const label = tg.deadline_passed ? "on_air_at_deadline" : "on_air_of";
    return `<div class="target" data-target="${esc(tg.name)}" data-status="${st.key}"><div><b>${esc(tg.name)}</b> ${esc(t(label, { n: SP.num(tg.on_air), t: SP.num(tg.target_on_air) }))}
      <span class="chip" style="background:${st.color}">${esc(st.label)}</span></div>
      <div class="bar"><div style="width:${(100 * share).toFixed(1)}%;background:${st.color}"></div></div>
      <span class="muted">${esc(t("deadline", { d: tg.deadline }))}${cov && cov.areas && !state.replay ? " · " + esc(t("areas_met", { m: cov.areas_met, a: cov.areas })) + esc(t("areas_note")) : ""}</span></div>`;
  }).join("");
  SP.drawBurnup($("burnup"), state.monthly, { marker: state.replayMonth });
  $("projection").textContent = state.replay ? "" : SP.projectionText(state.monthly);
  drawFocus(p);
  drawRankings(p);
  // Coverage of the areas (the chosen county's only).
  $("cov-note").textContent = state.operator ? t("of_operator", { op: word("operators", state.operator) }).replace(/[（）()]/g, "").trim() : "";
  const areas = (state.replay ? state.replay.areas : (c?.areas || [])).filter((a) => !county() || a.county === county());
  $("areas").querySelector("thead").innerHTML = `<tr><th>${esc(t("area"))}</th><th>${esc(t("covered"))}</th><th>${esc(t("continuous"))}</th></tr>`;
  $("areas").querySelector("tbody").innerHTML = areas.map((a) =>
    `<tr><td>${esc(a.name)}</td><td class="n">${(100 * a.covered_share).toFixed(1)}%</td><td>${a.continuous ? t("yes") : t("no")}</td></tr>`).join("")
    || `<tr><td colspan="3">${esc(t("none"))}</td></tr>`;
  const gaps = state.replay ? [] : visibleGaps();
  $("gaps").innerHTML = gaps.slice(0, 10).map((g, i) =>
    `<li data-i="${i}">${esc(t("gap_item", { area: g.area, km: (g.area_m2 / 1e6).toFixed(2) }))}</li>`).join("") || `<li>${esc(t("none"))}</li>`;
  $("gaps").querySelectorAll("li[data-i]").forEach((li) => li.addEventListener("click", () => {
    const g = gaps[Number(li.dataset.i)];
    map.setView(ll(g.lat, g.lon), 14);
  }));
  const proposed = state.replay ? [] : visibleCandidates().flatMap((a) => a.candidates.map((cd, i) => [a, cd, i]));
  $("candidates").innerHTML = proposed.slice(0, 15).map(([a, cd, i], k) =>
    `<li data-k="${k}">${esc(candidateLabel(a, cd, i))}</li>`).join("") || `<li>${esc(t("none"))}</li>`;
  $("candidates").querySelectorAll("li[data-k]").forEach((li) => li.addEventListener("click", () => {
    const [, cd] = proposed[Number(li.dataset.k)];
    map.setView(ll(cd.lat, cd.lon), 15);
  }));
  const pp = state.pilotProgress;
  $("pilots").textContent = pp && pp.total.projects ? t("pilots_done", { d: pp.total.done, t: pp.total.target ?? "-", b: pp.total.blocked }) : t("none");
  drawLegend();
  drawMapLegend();
}

/// The legend on the map itself, for a wall screen where the panel's is out of sight.
const mapLegend = L.control({ position: "bottomleft" });
mapLegend.onAdd = () => L.DomUtil.create("div", "map-legend");
mapLegend.addTo(map);
function drawMapLegend() {
  const el = document.querySelector(".map-legend");
  if (!el) return;
  const sw = (c, cls = "") => `<i class="${cls}" style="background:${c}"></i>`;
  el.innerHTML = `<b>${esc(t("map_legend"))}</b>`
    + `<div>${Object.keys(SP.PACE_COLORS).filter((k) => k !== "none").map((k) => `<span>${sw(SP.PACE_COLORS[k], "square")}${esc(word("pace_legend", k))}</span>`).join("")}</div>`
    + `<div>${STAGES.map((s) => `<span>${sw(SP.STAGE_COLORS[s])}${esc(word("stages", s))}</span>`).join("")}</div>`
    + `<div><span><i class="ring-sample"></i>${esc(t("cluster_legend"))}</span></div>`
    + `<div><span><i class="tri"></i>${esc(t("alarm_legend"))}</span><span><i class="dash" style="border-color:#b71c1c"></i>${esc(t("blocked_ring"))}</span><span>${sw(SP.PILOT_COLORS.building, "diamond")}${esc(t("pilot_legend"))}</span></div>`;
}

/// The chosen county's (or operator's) own figures: its row of /api/v1/progress.
function drawFocus(p) {
  const el = $("focus");
  const c = county(), o = operator();
  let row = null, title = "";
  if (c) { row = p?.by_county.find((r) => r.county === c); title = t("county_figures", { c: SP.countyName(c) }); }
  else if (o) { row = p?.operators.find((r) => r.operator === o); title = t("operator_figures", { o: word("operators", o) }); }
  if (!row) { el.hidden = true; el.innerHTML = ""; return; }
  el.hidden = false;
  const cells = [["sites", row.sites, t("sites")], ["built", row.built, t("built")], ["on_air", row.on_air, t("on_air")],
    ["expected", row.expected, t("expected")], ["schedule_completion", row.schedule_completion, t("against")], ["schedule_rank", row.schedule_rank, t("rank")]];
  el.innerHTML = `<h2>${esc(title)} <span class="chip" style="background:${SP.PACE_COLORS[row.pace || "none"]}">${esc(word("pace", row.pace || "none"))}</span></h2>
    <div class="figures">${cells.map(([k, v, label]) => `<div><span class="muted">${esc(label)}</span><b data-k="${k}" data-v="${v ?? ""}">${k === "schedule_completion" ? SP.pct(v) : SP.num(v)}</b></div>`).join("")}</div>`;
}

function drawRankings(p) {
  const rows = [...(p?.by_county || [])].filter((r) => r.name).sort((a, b) => (a.schedule_rank ?? 99) - (b.schedule_rank ?? 99));
  const table = (list, name, key) => `<table><thead><tr><th>${esc(t("rank"))}</th><th>${esc(name)}</th><th class="n">${esc(t("on_air"))}</th><th class="n">${esc(t("expected"))}</th><th class="n">${esc(t("against"))}</th></tr></thead><tbody>`
    + list.map((r) => `<tr data-${key}="${esc(r[key])}" class="${r[key] === (key === "county" ? county() : operator()) ? "chosen" : ""}"><td class="n">${r.schedule_rank ?? "-"}</td><td><i class="dot" style="background:${SP.PACE_COLORS[r.pace || "none"]}"></i>${esc(key === "county" ? SP.countyName(r.county) : word("operators", r.operator))}</td>`
      + `<td class="n">${SP.num(r.on_air)}</td><td class="n">${SP.num(r.expected)}</td><td class="n">${SP.pct(r.schedule_completion)}</td></tr>`).join("") + "</tbody></table>";
  $("rank-county").innerHTML = table(rows, t("county"), "county");
  $("rank-operator").innerHTML = table([...(p?.operators || [])].sort((a, b) => (a.schedule_rank ?? 99) - (b.schedule_rank ?? 99)), t("operator"), "operator");
  $("rank-county").querySelectorAll("tr[data-county]").forEach((tr) => tr.addEventListener("click", () => chooseCounty(tr.dataset.county)));
  $("rank-operator").querySelectorAll("tr[data-operator]").forEach((tr) => tr.addEventListener("click", () => {
    $("f-operator").value = tr.dataset.operator === operator() ? "" : tr.dataset.operator;
    $("f-operator").dispatchEvent(new Event("change"));
  }));
}

function drawLegend() {
  const sw = (c, cls = "") => `<i class="${cls}" style="background:${c}"></i>`;
  const row = (title, items) => `<div class="legend-row"><b>${esc(title)}</b>${items.join("")}</div>`;
  const item = (mark, label) => `<span>${mark}${esc(label)}</span>`;
  $("legend").innerHTML = [
    row(t("legend_pace"), Object.keys(SP.PACE_COLORS).map((k) => item(sw(SP.PACE_COLORS[k], "square"), word("pace_legend", k)))),
    row(t("legend_stages"), STAGES.map((s) => item(sw(SP.STAGE_COLORS[s]), word("stages", s)))),
    row(t("legend_clusters"), [item(`<i class="ring-sample"></i>`, t("clusters_note"))]),
    row(t("legend_coverage"), [0, 0.5, 0.8, 1].map((v) => item(sw(shade(v), "square"), `${v * 100}%`))),
    row(t("legend_alarms"), SP.ALARM_KINDS.map((k) => item(`<i class="tri" style="border-bottom-color:${SP.ALARM_COLORS[k]}"></i>`, word("alarm_kinds", k)))),
    row(t("legend_pilots"), [...Object.keys(SP.PILOT_COLORS).map((s) => item(sw(SP.PILOT_COLORS[s], "diamond"), word("pilot_stages", s))), item(`<i class="diamond ring"></i>`, t("pilot_blocked"))]),
    row(t("layers"), [item(`<i class="dash" style="border-color:#c62828"></i>`, t("gaps")), item(`<i class="candidate-sample">1</i>`, t("candidates")), item(`<i class="dash" style="border-color:#6a1b9a"></i>`, t("earth"))]),
  ].join("");
}

/// A site's cells by band and state: "N41 ×3 工作".
function cellSummary(cells) {
  const groups = new Map();
  for (const c of cells) {
    const k = `${String(c.band).toUpperCase()}|${c.state}`;
    groups.set(k, (groups.get(k) || 0) + 1);
  }
  return [...groups].map(([k, n]) => { const [b, st] = k.split("|"); return t("cell_count", { b, n, s: word("cell_state", st) }); }).join("、") || "-";
}

// ---- Site details: a popup on the site itself.
async function showSite(id) {
  const d = await SP.api(`/api/v1/sites/${encodeURIComponent(id)}`);
  const s = d.site, l = d.latest;
  const rows = [
    [t("site_id"), s.site],
    [t("stage"), word("stages", s.stage)],
    [t("county"), SP.countyName(s.county)],
    [t("operator"), (s.operators || []).map((o) => word("operators", o)).join("、") || "-"],
    [t("planned"), s.planned_on_air || "-"],
    [t("standing"), d.standing ? word("standings", d.standing.standing) + (d.standing.days_overdue ? ` (${d.standing.days_overdue})` : "") : "-"],
    [t("last_report"), s.ts ? SP.localTime(s.ts) : "-"],
  ];
  if (l) {
    rows.push([t("power"), `${word("power_source", l.power.source)} · ${word("supply", l.power.supply)}`],
      [t("battery"), `${l.power.battery_v.toFixed(1)} V`],
      [t("temp"), `${l.cabinet.temp_c.toFixed(1)} °C`],
      [t("door"), l.cabinet.door_open ? t("door_open") : t("door_closed")],
      [t("backhaul"), l.backhaul.up ? `${t("up")} · ${t("latency")} ${l.backhaul.latency_ms ?? "-"} ms` : t("down")],
      [t("cells"), cellSummary(l.cells || [])]);
  }
  const alarms = (s.alarms || []).map((a) => `<span class="chip" style="background:${SP.ALARM_COLORS[a] || "#b71c1c"}">${esc(word("alarm_kinds", a))}</span>`).join(" ");
  const history = [...(d.stage_changes || []).map((c) => [c.ts, c.to, ""]), ...(d.milestones || []).map((m) => [m.at, m.stage, m.reporter])]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([ts, st, who]) => `<li>${esc(SP.localDate(ts))} ${esc(word("stages", st))} ${esc(who)}</li>`).join("");
  const open = (d.obstacles || []).filter((o) => !o.resolved)
    .map((o) => `<li>${esc(word("kinds", o.kind))} · ${esc(o.responsible_unit)} · ${esc(o.due)}<br>${esc(o.description)}</li>`).join("");
  const html = `<div class="site-popup" data-site="${esc(s.site)}"><h3>${esc(s.name || s.site)}</h3>
    ${alarms ? `<div class="alarms"><b>${esc(t("alarms"))}</b> ${alarms}</div>` : ""}
    <dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>
    <b>${esc(t("history"))}</b><ol class="plain">${history || `<li>${esc(t("none"))}</li>`}</ol>
    <b>${esc(t("obstacles"))}</b><ol class="plain">${open || `<li>${esc(t("none"))}</li>`}</ol></div>`;
  const i = siteIndex(id);
  const pos = i !== undefined ? ll(state.cols.lat[i], state.cols.lon[i]) : map.getCenter();
  layers.selection.clearLayers();
  L.circleMarker(pos, { radius: 13, color: "#0b5cab", weight: 3, fill: false, interactive: false }).addTo(layers.selection);
  state.popupSite = id;
  L.popup({ maxWidth: 320, autoPanPadding: [40, 40] }).setLatLng(pos).setContent(html).openOn(map);
}

// ---- Search by site id or name.
function search(q) {
  const list = $("search-results");
  q = q.trim().toLowerCase();
  if (!q) { list.innerHTML = ""; return []; }
  const hits = [], cols = state.cols;
  for (let i = 0; i < state.n && hits.length < 10; i++) {
    if (cols.id[i].toLowerCase().includes(q) || cols.name[i].toLowerCase().includes(q)) {
      hits.push({ id: cols.id[i], name: cols.name[i], county: cols.counties[cols.county[i]] });
    }
  }
  list.innerHTML = hits.map((p) => `<li data-id="${esc(p.id)}">${esc(p.id)} ${esc(p.name || "")} · ${esc(SP.countyName(p.county))}</li>`).join("") || `<li class="muted">${esc(t("no_match"))}</li>`;
  list.querySelectorAll("li[data-id]").forEach((li) => li.addEventListener("click", () => goToSite(li.dataset.id)));
  return hits;
}

function goToSite(id) {
  const i = siteIndex(id);
  if (i === undefined) return Promise.resolve();
  map.setView(ll(state.cols.lat[i], state.cols.lon[i]), 16, { animate: false });
  $("search-results").innerHTML = "";
  return showSite(id);
}

// ---- Filters: a county or an operator zooms there and focuses the panel.
function fitTo(code) {
  if (code && state.boundaries) {
    const f = state.boundaries.features.find((x) => x.properties.county === code);
    if (f) { map.fitBounds(L.geoJSON(f, { coordsToLatLng }).getBounds(), { padding: [20, 20], animate: false }); return; }
  }
  const bounds = L.latLngBounds([]);
  if (state.boundaries?.features.length) bounds.extend(L.geoJSON(state.boundaries, { coordsToLatLng }).getBounds());
  else for (let i = 0; i < state.n; i++) bounds.extend(ll(state.cols.lat[i], state.cols.lon[i]));
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], animate: false });
}

function applyFilter(zoom) {
  buildIndex();
  drawLayers();
  drawPanel();
  if (zoom) fitTo(county());
  const u = new URL(location.href);
  for (const k of ["county", "operator", "stage"]) { const v = $(`f-${k}`).value; if (v) u.searchParams.set(k, v); else u.searchParams.delete(k); }
  history.replaceState(null, "", u);
}

// ---- Replay: the rollout at the end of a past month.
function replayMonths() {
  return (state.monthly?.months || []).map((m) => m.month);
}

async function loadReplay(month) {
  if (!state.replayCache.has(month)) state.replayCache.set(month, SP.api(`/api/v1/replay/${month}`));
  return state.replayCache.get(month);
}

async function setReplay(month) {
  const months = replayMonths();
  if (!month || month === months[months.length - 1]) {
    state.replay = null; state.replayMonth = null;
  } else {
    const r = await loadReplay(month);
    if (r.stages.length !== state.n) await loadSites();
    state.replay = r; state.replayMonth = month;
    // The next month, ready for the slider's next step.
    const i = months.indexOf(month);
    if (i >= 0 && i + 1 < months.length - 1) loadReplay(months[i + 1]).catch(() => {});
  }
  const i = state.replayMonth ? months.indexOf(state.replayMonth) : months.length - 1;
  $("replay-range").value = String(i);
  $("replay-label").textContent = state.replayMonth ? SP.monthLabel(state.replayMonth) : t("live");
  document.body.classList.toggle("replaying", !!state.replay);
  buildIndex(); drawLayers(); drawPanel();
}

function setUpReplay() {
  const months = replayMonths();
  const r = $("replay-range");
  r.min = "0"; r.max = String(Math.max(0, months.length - 1));
  if (!state.replayMonth) r.value = r.max;
}

let playing = null;
function togglePlay() {
  if (playing) { clearInterval(playing); playing = null; $("replay-play").textContent = t("play"); return; }
  const months = replayMonths();
  let i = state.replayMonth ? months.indexOf(state.replayMonth) : 0;
  if (i < 0 || i >= months.length - 1) i = 0;
  $("replay-play").textContent = t("pause");
  let busy = false;
  playing = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      await setReplay(months[i]);
      i += 1;
      if (i >= months.length) togglePlay();
    } finally { busy = false; }
  }, 700);
}

// ---- Labels and loading.
function fillSelect(id, entries) {
  const el = $(id), v = el.value;
  el.innerHTML = `<option value="">${esc(t("all"))}</option>` + entries.map(([k, label]) => `<option value="${esc(k)}">${esc(label)}</option>`).join("");
  el.value = v;
}

function renderLabels() {
  document.documentElement.lang = SP.lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  $("lang").textContent = SP.lang === "zh" ? "EN" : "中文";
  document.querySelectorAll("[data-t]").forEach((e) => (e.textContent = t(e.dataset.t)));
  $("search").placeholder = t("search");
  $("replay-play").textContent = playing ? t("pause") : t("play");
  $("replay-label").textContent = state.replayMonth ? SP.monthLabel(state.replayMonth) : t("live");
  $("who").textContent = SP.me ? t("signed_in_as", { n: SP.me.name }) : "";
  $("counts").textContent = t("sites_shown", { n: SP.num(state.shown) });
  $("sign-out").hidden = !SP.me;
  const counties = [...new Set([...Object.keys(I18N.zh.counties), ...(state.cols?.counties || [])])].sort();
  fillSelect("f-county", counties.map((c) => [c, SP.countyName(c)]));
  fillSelect("f-operator", Object.entries(I18N[SP.lang].operators));
  fillSelect("f-stage", Object.entries(I18N[SP.lang].stages));
  drawLayers();
  drawPanel();
  if (state.popupSite) showSite(state.popupSite).catch(console.warn);
}

async function loadSites() {
  const t0 = performance.now();
  const cols = await SP.api("/api/v1/map/sites");
  const t1 = performance.now();
  const n = cols.id.length;
  cols.alarms = new Map(cols.alarms);
  state.cols = cols;
  state.n = n;
  state.byId = new Map(cols.id.map((id, i) => [id, i]));
  state.earth_station = new Set(cols.earth_station);
  state.mx = new Float64Array(n);
  state.my = new Float64Array(n);
  for (let i = 0; i < n; i++) { state.mx[i] = mercX(cols.lon[i]); state.my[i] = mercY(cols.lat[i]); }
  state.stageShown = new Uint8Array(n);
  state.shownList = new Int32Array(n);
  buildIndex();
  state.timings.sites_fetch_ms = t1 - t0;
  state.timings.sites_index_ms = performance.now() - t1;
}

async function loadOverview() {
  // With an operator chosen, the areas are shaded by that carrier's sites alone.
  state.operator = operator();
  const op = state.operator ? `operator=${encodeURIComponent(state.operator)}` : "";
  const [areas, coverage, gaps, earth, progress, monthly, pilots, pilotProgress] = await Promise.all([
    SP.api(`/api/v1/areas?${op}`), SP.api(`/api/v1/coverage?${op}`), SP.api(`/api/v1/coverage/gaps?limit=50&${op}`),
    SP.api("/api/v1/earth-stations"), SP.api("/api/v1/progress"), SP.api("/api/v1/progress/monthly"),
    SP.api("/api/v1/applications.geojson"), SP.api("/api/v1/applications/progress")]);
  Object.assign(state, { areas, coverage, gaps: gaps.gaps, earth: earth.earth_stations, progress, monthly, pilots: pilots.features, pilotProgress });
  setUpReplay();
  drawLayers(); drawPanel();
}

/// The proposed new sites: the heaviest search the map asks for, so only with its layer on, and
/// apart from the rest so that a slow answer holds nothing up.
async function loadCandidates() {
  if (!$("l-candidates").checked) { state.candidates = []; drawCandidates(); drawPanel(); return; }
  const op = state.operator ? `&operator=${encodeURIComponent(state.operator)}` : "";
  state.candidates = (await SP.api(`/api/v1/coverage/candidates?n=3${op}`)).areas;
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
  /// Milliseconds to show the end of `month` (fetching it if not fetched yet), or live with null.
  replayMs: async (month) => { const t0 = performance.now(); await setReplay(month); return performance.now() - t0; },
  months: replayMonths,
  /// Where the first draw's time went (fetching and parsing the sites, indexing them).
  timings: () => state.timings,
  /// Zooms to `z` on the current centre.
  zoomTo: (z) => map.setZoom(z, { animate: false }),
  search: (q) => search(q).map((p) => p.id),
  /// Fits the view to the chosen county, or the city.
  fit: () => fitTo(county()),
  goToSite,
  stats: () => ({ sites: state.n, shown: state.shown, drawn: state.drawn, clusters: state.clusters,
    boundaries: state.boundaries ? state.boundaries.features.length : 0,
    counties_drawn: document.querySelectorAll(".county-label").length,
    areas: state.areas ? state.areas.features.length : 0, pilots: state.pilots.length, painted: paintedPixels(), zoom: map.getZoom(),
    alarms: document.querySelectorAll(".leaflet-marker-pane .alarm").length, replay: state.replayMonth,
    popup: document.querySelector(".leaflet-popup .site-popup")?.dataset.site || null }),
};

async function start() {
  const cfg = await (await fetch("/api/v1/map/config")).json();
  state.config = cfg;
  renderStatic();
  await SP.ensureAccess(cfg);
  gcj = cfg.tile_crs === "gcj02";
  const sub = cfg.tile_subdomains || "abc";
  if (cfg.tile_url) L.tileLayer(cfg.tile_url, { attribution: cfg.tile_attribution || "", maxZoom: 18, subdomains: sub }).addTo(map);
  if (cfg.tile_label_url) L.tileLayer(cfg.tile_label_url, { maxZoom: 18, subdomains: sub, pane: "overlayPane" }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  map.setView(ll(cfg.center[0], cfg.center[1]), cfg.zoom);
  // A view can be linked to: ?county=371502&operator=cmcc&stage=on_air (and ?month=, ?site=).
  const params = new URLSearchParams(location.search);
  state.boundaries = await SP.api("/api/v1/boundaries.geojson");
  if (state.boundaries.attribution) map.attributionControl.addAttribution(esc(state.boundaries.attribution));
  renderLabels();
  for (const k of ["county", "operator", "stage"]) if (params.get(k)) $(`f-${k}`).value = params.get(k);
  await Promise.all([loadOverview(), loadSites()]);
  loadCandidates().catch(console.warn);
  fitTo(county());
  renderLabels();
  const prev = new Date(); prev.setDate(1); prev.setMonth(prev.getMonth() - 1);
  $("cl-month").value = (state.progress?.as_of || prev.toISOString()).slice(0, 7);
  map.on("moveend zoomend", drawSites);
  map.on("popupclose", () => { layers.selection.clearLayers(); state.popupSite = null; });
  $("f-county").addEventListener("change", () => applyFilter(true));
  $("f-stage").addEventListener("change", () => applyFilter(false));
  $("f-operator").addEventListener("change", () => { applyFilter(false); loadOverview().then(loadCandidates).catch(console.warn); });
  $("l-candidates").addEventListener("change", () => loadCandidates().catch(console.warn));
  for (const id of ["l-footprints", "l-alarms"]) $(id).addEventListener("change", drawSites);
  $("l-gaps").addEventListener("change", drawGaps);
  $("l-earth").addEventListener("change", drawEarth);
  $("l-pilots").addEventListener("change", drawPilots);
  $("l-boundaries").addEventListener("change", () => { if ($("l-boundaries").checked) map.addLayer(layers.boundaries); else map.removeLayer(layers.boundaries); });
  $("search").addEventListener("input", (e) => search(e.target.value));
  $("search").addEventListener("keydown", (e) => { if (e.key === "Enter") { const h = search(e.target.value); if (h[0]) goToSite(h[0].id); } });
  $("replay-range").addEventListener("input", (e) => setReplay(replayMonths()[Number(e.target.value)]).catch(console.warn));
  $("replay-play").addEventListener("click", togglePlay);
  $("replay-live").addEventListener("click", () => setReplay(null));
  $("lang").addEventListener("click", () => { SP.setLang(SP.lang === "zh" ? "en" : "zh"); renderLabels(); });
  $("sign-out").addEventListener("click", SP.signOut);
  $("checklist").addEventListener("submit", (e) => {
    e.preventDefault();
    const m = $("cl-month").value, f = $("cl-format").value;
    SP.download(`/api/v1/checklist/${m}?format=${f}&lang=${SP.lang}`, `checklist-${m}.${f}`).catch(console.warn);
  });
  drawSites();
  // A link can also open a replayed month (?month=2020-06) or a site (?site=A01).
  if (params.get("month")) await setReplay(params.get("month")).catch(console.warn);
  if (params.get("site")) await goToSite(params.get("site")).catch(console.warn);
  window.sitepulseMap.ready = true;
  // Keep up with the rollout: sites every 30 s, coverage and progress every 10 s.
  setInterval(() => { if (!state.replay) loadOverview().catch(console.warn); }, 10000);
  setInterval(() => { if (!state.replay) loadSites().catch(console.warn); }, 30000);
  setInterval(() => loadCandidates().catch(console.warn), 60000);
}

/// Labels before any data: the sign-in shows over a page that says what it is.
function renderStatic() {
  document.querySelectorAll("[data-t]").forEach((e) => (e.textContent = t(e.dataset.t)));
  document.title = t("title");
}

start().catch((e) => { console.error(e); window.sitepulseMap.error = String(e); });
