// The burn-up chart of the map's panel and the wall screen: sites on air at the end of each
// month against the backward schedule and the targets, with the projection at the current pace
// (all from /api/v1/progress/monthly). SVG, sized by its viewBox.
"use strict";

(() => {
  const SP = window.SP;
  const ym = (s) => { const [y, m] = s.split("-").map(Number); return y * 12 + (m - 1); };
  const label = (i) => `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;

  /// A round step for about `n` ticks up to `max`.
  function step(max, n) {
    const raw = max / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
    return [1, 2, 2.5, 5, 10].map((k) => k * p).find((s) => s >= raw) || raw;
  }

  /// Draws `monthly` into `svg` (W×H user units, font size `fs`); `marker` (YYYY-MM) draws a
  /// vertical line at a replayed month.
  SP.drawBurnup = (svg, monthly, { W = 340, H = 200, fs = 9, marker = null } = {}) => {
    const m = monthly;
    if (!m || !m.months.length) { svg.innerHTML = ""; return; }
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const months = m.months, targets = [...(m.targets || [])].sort((a, b) => (a.deadline < b.deadline ? -1 : 1));
    const schedule = m.schedule || [], proj = m.projection || { per_month: 0, targets: [] };
    const x0 = ym(months[0].month);
    const last = months[months.length - 1];
    const projEnd = proj.targets.filter((p) => p.month && !p.reached).map((p) => ym(p.month));
    const x1 = Math.max(ym(last.month), ...targets.map((t) => ym(t.deadline.slice(0, 7))), ...schedule.map((s) => ym(s.month)),
      ...projEnd.map((v) => Math.min(v, ym(last.month) + 36)));
    const maxY = Math.max(1, ...months.map((p) => p.on_air), ...targets.map((t) => t.on_air), ...schedule.map((s) => s.on_air));
    const yStep = step(maxY, 4), yMax = Math.ceil(maxY / yStep) * yStep;
    // The legend above the plot, in as many rows as it needs.
    const items = [["#2e9e5b", "", SP.t("on_air")], ["#e67e22", "5 3", SP.t("schedule_line")], ["#c62828", "1 3", SP.t("target_line")], ["#1565c0", "2 2", SP.t("projection_line")]];
    const L0 = fs * 4.2, R = fs, B = fs * 2.2;
    const legend = [];
    let lx = L0, ly = fs;
    for (const [c, dash, text] of items) {
      const w = fs * 2.6 + text.length * fs * (/[\u4e00-\u9fff]/.test(text) ? 1.0 : 0.56);
      if (lx > L0 && lx + w > W - R) { lx = L0; ly += fs * 1.5; }
      legend.push(`<line x1="${lx}" x2="${lx + fs * 1.8}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2" stroke-dasharray="${dash}"/>`
        + `<text x="${lx + fs * 2.2}" y="${ly + fs * 0.35}" font-size="${fs}" fill="#333">${SP.esc(text)}</text>`);
      lx += w;
    }
    const T = ly + fs * 1.6;
    const x = (i) => L0 + (i - x0) / Math.max(1, x1 - x0) * (W - L0 - R);
    const y = (v) => H - B - v / yMax * (H - B - T);
    let out = "";
    for (let v = 0; v <= yMax + 1e-9; v += yStep) {
      out += `<line x1="${L0}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#e3e7ec"/>`
        + `<text x="${L0 - 3}" y="${y(v) + fs / 3}" font-size="${fs}" text-anchor="end" fill="#555">${SP.num(v)}</text>`;
    }
    const years = Math.ceil((x1 - x0) / 12) > 8 ? 2 : 1;
    for (let i = x0; i <= x1; i++) {
      if (i % 12 !== 0 || (Math.floor(i / 12) % years) !== 0) continue;
      out += `<line x1="${x(i)}" x2="${x(i)}" y1="${H - B}" y2="${H - B + 3}" stroke="#888"/>`
        + `<text x="${x(i)}" y="${H - B + fs + 2}" font-size="${fs}" text-anchor="${x(i) > W - R - fs * 1.5 ? "end" : "middle"}" fill="#555">${Math.floor(i / 12)}</text>`;
    }
    out += `<line x1="${L0}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#888"/><line x1="${L0}" y1="${T}" x2="${L0}" y2="${H - B}" stroke="#888"/>`;
    if (schedule.length) {
      out += `<path d="${schedule.map((s, i) => `${i ? "L" : "M"}${x(ym(s.month)).toFixed(1)},${y(s.on_air).toFixed(1)}`).join("")}" fill="none" stroke="#e67e22" stroke-width="1.5" stroke-dasharray="5 3"><title>${SP.esc(SP.t("schedule_line"))}</title></path>`;
    }
    for (const t of targets) {
      const tx = x(ym(t.deadline.slice(0, 7)));
      out += `<line x1="${L0}" x2="${tx}" y1="${y(t.on_air)}" y2="${y(t.on_air)}" stroke="#c62828" stroke-dasharray="1 3"/>`
        + `<circle cx="${tx}" cy="${y(t.on_air)}" r="${fs / 3}" fill="#c62828"><title>${SP.esc(t.name)}: ${t.on_air}</title></circle>`
        + `<text x="${tx - 3}" y="${y(t.on_air) - 4}" font-size="${fs}" text-anchor="end" fill="#c62828">${SP.esc(t.name)} ${SP.num(t.on_air)}</text>`;
    }
    const area = months.map((p, i) => `${i ? "L" : "M"}${x(ym(p.month)).toFixed(1)},${y(p.on_air).toFixed(1)}`).join("");
    out += `<path d="${area}L${x(ym(last.month)).toFixed(1)},${y(0)}L${x(x0)},${y(0)}Z" fill="#2e9e5b" fill-opacity="0.15"/>`
      + `<path d="${area}" fill="none" stroke="#2e9e5b" stroke-width="2.2"><title>${SP.esc(SP.t("on_air"))}</title></path>`;
    if (proj.per_month > 0 && projEnd.length) {
      const end = Math.min(x1, Math.max(...projEnd));
      const v = Math.min(yMax, last.on_air + proj.per_month * (end - ym(last.month)));
      out += `<path d="M${x(ym(last.month))},${y(last.on_air)}L${x(end)},${y(v)}" stroke="#1565c0" stroke-width="1.5" stroke-dasharray="2 2" fill="none"><title>${SP.esc(SP.t("projection_line"))}</title></path>`;
    }
    if (marker) {
      out += `<line x1="${x(ym(marker))}" x2="${x(ym(marker))}" y1="${T}" y2="${H - B}" stroke="#b35900" stroke-width="1.5" stroke-dasharray="4 2"/>`
        + `<text x="${x(ym(marker)) + 3}" y="${T + fs}" font-size="${fs}" fill="#b35900">${SP.esc(SP.t("replay_marker"))} ${SP.esc(SP.monthLabel(marker))}</text>`;
    }
    out += legend.join("");
    svg.innerHTML = out;
    svg.dataset.lastMonth = last.month;
    svg.dataset.range = `${label(x0)}..${label(x1)}`;
  };

  /// The projection in words: when each target is (or was) reached at the current pace.
  SP.projectionText = (monthly) => {
    const p = monthly?.projection;
    if (!p) return "";
    const parts = p.targets.map((x) => {
      if (!x.month) return SP.t("never", { t: x.target });
      const text = SP.t(x.reached ? "reached" : "reach", { t: x.target, m: SP.monthLabel(x.month) });
      return text + (x.in_time ? "" : SP.t("late"));
    });
    return [SP.t("per_month", { n: SP.num(Math.round(p.per_month)), k: p.over_months }), ...parts].join(SP.lang === "zh" ? "；" : "; ");
  };
})();
