// The wall screen (/screen): the key figures large enough to read across a meeting room, the
// burn-up chart and the counties' ranking, refreshed every 30 seconds with the time shown.
"use strict";

(() => {
  const SP = window.SP, { t, esc } = SP;
  const $ = (id) => document.getElementById(id);
  const data = { progress: null, monthly: null, refreshed: null };

  function draw() {
    document.documentElement.lang = SP.lang === "zh" ? "zh-CN" : "en";
    document.title = t("screen_title");
    document.querySelectorAll("[data-t]").forEach((e) => (e.textContent = t(e.dataset.t)));
    $("lang").textContent = SP.lang === "zh" ? "EN" : "中文";
    const p = data.progress;
    if (!p) return;
    $("as-of").textContent = t("as_of", { t: SP.localTime(p.as_of) });
    $("refreshed").textContent = t("refreshed", { t: SP.localTime(data.refreshed.toISOString()) });
    $("on-air").textContent = SP.num(p.total.on_air);
    $("targets").innerHTML = p.targets.map((tg) => {
      const st = SP.targetStatus(tg);
      const share = Math.min(1, tg.on_air / Math.max(1, tg.target_on_air));
      return `<div class="screen-target" data-target="${esc(tg.name)}" data-status="${st.key}">
        <div class="row"><b>${esc(t("screen_target", { t: tg.name }))}</b><span>${esc(t(tg.deadline_passed ? "on_air_at_deadline" : "on_air_of", { n: SP.num(tg.on_air), t: SP.num(tg.target_on_air) }))}</span><span class="chip" style="background:${st.color}">${esc(st.label)}</span></div>
        <div class="bar"><div style="width:${(100 * share).toFixed(1)}%;background:${st.color}"></div></div></div>`;
    }).join("");
    SP.drawBurnup($("burnup"), data.monthly, { W: 640, H: 300, fs: 15 });
    $("projection").textContent = SP.projectionText(data.monthly);
    const rows = [...p.by_county].filter((r) => r.name).sort((a, b) => (a.schedule_rank ?? 99) - (b.schedule_rank ?? 99));
    // Bars against the schedule (100 %), or against the best county when one is ahead of it.
    const max = Math.max(1, ...rows.map((r) => r.schedule_completion || 0));
    const bar = (r, name) => `<div class="rank-row"><span class="n">${r.schedule_rank ?? "-"}</span><span class="name">${esc(name)}</span>
      <span class="rank-bar"><i style="width:${(100 * Math.min(1, (r.schedule_completion || 0) / max)).toFixed(1)}%;background:${SP.PACE_COLORS[r.pace || "none"]}"></i></span>
      <span class="pct">${SP.pct(r.schedule_completion)}</span></div>`;
    $("ranks").innerHTML = rows.map((r) => bar(r, SP.countyName(r.county))).join("");
    const ops = [...(p.operators || [])].sort((a, b) => (a.schedule_rank ?? 99) - (b.schedule_rank ?? 99));
    $("op-ranks").innerHTML = ops.map((r) => bar(r, SP.word("operators", r.operator))).join("");
    $("pace-note").textContent = Object.keys(SP.PACE_COLORS).filter((k) => k !== "none").map((k) => SP.word("pace_legend", k)).join("　");
  }

  async function refresh() {
    const [progress, monthly] = await Promise.all([SP.api("/api/v1/progress"), SP.api("/api/v1/progress/monthly")]);
    Object.assign(data, { progress, monthly, refreshed: new Date() });
    draw();
  }

  window.sitepulseScreen = { ready: false };
  (async () => {
    const cfg = await (await fetch("/api/v1/map/config")).json();
    draw();
    await SP.ensureAccess(cfg);
    await refresh();
    $("lang").addEventListener("click", () => { SP.setLang(SP.lang === "zh" ? "en" : "zh"); draw(); });
    $("full").addEventListener("click", () => document.documentElement.requestFullscreen?.());
    setInterval(() => refresh().catch(console.warn), 30000);
    window.sitepulseScreen.ready = true;
  })().catch((e) => { console.error(e); window.sitepulseScreen.error = String(e); });
})();
