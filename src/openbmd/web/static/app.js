// openbmd web page: talks only to the local JSON API.
"use strict";
const $ = (id) => document.getElementById(id);

function table(rows, cols) {
  const t = document.createElement("table");
  const head = t.insertRow();
  for (const c of cols) { const th = document.createElement("th"); th.textContent = c; head.appendChild(th); }
  for (const r of rows) {
    const tr = t.insertRow();
    for (const c of cols) {
      const td = tr.insertCell();
      let v = r[c];
      if (typeof v === "number") v = Number.isInteger(v) ? v : v.toFixed(c.includes("share") ? 3 : 1);
      if (v === true) { v = "yes"; td.className = "yes"; }
      if (v === false) v = "no";
      td.textContent = v === null || v === undefined ? "–" : v;
    }
  }
  return t;
}

async function loadScenarios() {
  const r = await fetch("/api/scenarios");
  const d = await r.json();
  const sel = $("scenario");
  for (const s of d.bundled) {
    if (s.comparison) continue;
    const o = document.createElement("option");
    o.value = s.id; o.textContent = s.name;
    sel.appendChild(o);
  }
  sel.value = "epaa-phase3";
}

async function assess() {
  $("status").textContent = "computing…";
  const r = await fetch("/api/assess", {method: "POST", headers: {"Content-Type": "application/json"},
                                        body: JSON.stringify({scenario: $("scenario").value})});
  const d = await r.json();
  if (!r.ok) { $("status").textContent = d.detail; return; }
  $("roles").replaceChildren(table(d.per_role, ["mission", "trajectories", "engageable", "engageable_share", "best_margin_s"]));
  $("threats").replaceChildren(table(d.threats, ["label", "role", "engageable", "best_margin_s", "best_battery", "shots"]));
  $("status").textContent = "";
}

$("run").addEventListener("click", assess);
$("scenario").addEventListener("change", assess);
loadScenarios().then(assess);
