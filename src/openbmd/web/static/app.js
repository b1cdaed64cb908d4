// openbmd web view: an orthographic globe and the engagement table, from the local JSON API only.
"use strict";
const $ = (id) => document.getElementById(id);
const W = 640, H = 640;
const svg = d3.select("#globe");
const projection = d3.geoOrthographic().scale(300).translate([W / 2, H / 2]).rotate([-10, -50]).clipAngle(90);
const path = d3.geoPath(projection);
let land = null, current = null, base = null, selected = null, job = null, layer = null;
let edits = {}, history = [];  // edits: battery name -> {lat_deg, lon_deg, burnout_speed_km_s}; history: the changes applied
const JOB_BUTTONS = ["phases", "balance", "footprint", "speedmap"];
const visibleLL = (ll) => d3.geoDistance(ll, projection.invert([W / 2, H / 2])) < Math.PI / 2 - 1e-6;

function profile() {
  const ps = d3.select("#profile");
  ps.selectAll("*").remove();
  if (!current || selected === null || !current.tracks[selected]) { $("profilename").textContent = ""; return; }
  const t = current.tracks[selected];
  $("profilename").textContent = t.label;
  const rng = t.lonlat.map((c) => d3.geoDistance(t.lonlat[0], c) * 6371.0);
  const x = d3.scaleLinear().domain([0, d3.max(rng)]).range([45, 630]);
  const y = d3.scaleLinear().domain([0, d3.max(t.alt_km) * 1.05]).range([195, 10]);
  ps.append("g").attr("class", "axis").attr("transform", "translate(0,195)").call(d3.axisBottom(x).ticks(6));
  ps.append("g").attr("class", "axis").attr("transform", "translate(45,0)").call(d3.axisLeft(y).ticks(5));
  const pts = rng.map((r, k) => [x(r), y(t.alt_km[k])]);
  ps.append("path").attr("d", d3.line()(pts)).attr("fill", "none").attr("stroke", "#4a6f8a").attr("stroke-width", 1.5);
  const best = (current.pairs || []).filter((q) => q.threat === selected && q.engageable)
    .sort((a, b) => b.margin_s - a.margin_s)[0];
  if (best) {
    const w = pts.filter((_, k) => t.t_s[k] >= best.earliest_intercept_s && t.t_s[k] <= best.latest_intercept_s);
    ps.append("path").attr("id", "window").attr("d", d3.line()(w)).attr("fill", "none")
      .attr("stroke", "#c0392b").attr("stroke-width", 5).attr("stroke-opacity", 0.6);
  }
  ps.append("text").attr("x", 50).attr("y", 20).attr("class", "axis")
    .text("altitude (km) vs ground range (km)" + (best ? "; red: intercept window of " + best.battery : ""));
}

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

function draw() {
  svg.selectAll("*").remove();
  svg.append("path").datum({type: "Sphere"}).attr("class", "sphere").attr("d", path);
  svg.append("path").datum(d3.geoGraticule10()).attr("class", "grat").attr("d", path);
  if (land) svg.append("path").datum(land).attr("class", "land").attr("d", path);
  if (layer) {
    const h = layer.step / 2;
    for (const [a, o, v] of layer.cells) {
      if (v === null || v === undefined) continue;
      const sq = {type: "Polygon", coordinates: [[[o - h, a - h], [o - h, a + h], [o + h, a + h], [o + h, a - h], [o - h, a - h]]]};
      svg.append("path").datum(sq).attr("class", "cell").attr("d", path).attr("fill", layer.color(v)).attr("fill-opacity", 0.55);
    }
  }
  if (!current) return;
  const arch = current.architecture;
  for (const r of arch.radars) {
    const circle = d3.geoCircle().center([r.lon_deg, r.lat_deg]).radius(r.detection_range_km / 111.2)();
    svg.append("path").datum(circle).attr("class", "radar").attr("d", path);
  }
  for (const f of current.fans || []) {
    svg.append("path").datum({type: "Polygon", coordinates: [f.lonlat.concat([f.lonlat[0]])]})
      .attr("class", "fan").attr("d", path);
  }
  const near = d3.scaleLinear().domain([-600, 0]).range(["#4a6f8a", "#e08214"]).clamp(true);
  current.tracks.forEach((t, i) => {
    const p = svg.append("path").datum({type: "LineString", coordinates: t.lonlat})
      .attr("class", "track " + (t.engageable ? "eng" : "safe") + (i === selected ? " sel" : "")).attr("d", path)
      .on("click", () => { selected = i; draw(); profile(); });
    if (!t.engageable && t.best_margin_s !== null) p.style("stroke", near(t.best_margin_s));
  });
  for (const q of current.pairs || []) {
    if (!q.engageable || q.intercept_lat_deg === null) continue;
    const ll = [q.intercept_lon_deg, q.intercept_lat_deg];
    if (d3.geoDistance(ll, projection.invert([W / 2, H / 2])) > Math.PI / 2) continue;
    const p = projection(ll);
    svg.append("circle").attr("class", "ipt").attr("r", 2.5).attr("cx", p[0]).attr("cy", p[1]);
  }
  for (const b of arch.batteries) {
    const p = projection([b.lon_deg, b.lat_deg]);
    const visible = d3.geoDistance([b.lon_deg, b.lat_deg], projection.invert([W / 2, H / 2])) < Math.PI / 2;
    if (p && visible) {
      const site = svg.append("path").attr("class", "site").attr("d", d3.symbol(d3.symbolTriangle, 90)())
        .attr("transform", `translate(${p[0]},${p[1]})`);
      site.append("title").text(b.name);
      site.call(d3.drag()
        .on("start", (e) => { e.sourceEvent.stopPropagation(); })
        .on("drag", (e) => { site.attr("transform", `translate(${e.x},${e.y})`); })
        .on("end", (e) => {
          const ll = projection.invert([e.x, e.y]);
          if (!ll) return;
          $("battery").value = b.name;
          showBattery();
          $("lat").value = ll[1].toFixed(2); $("lon").value = ll[0].toFixed(2);
          applyChanges();
        }));
    }
  }
  drawLabels();
}

function places() {
  // the named points the globe shows: batteries (grouped where they share a spot), radars, launch areas, targets
  const out = [];
  const arch = current.architecture;
  const groups = [];
  for (const b of arch.batteries) {
    const g = groups.find((x) => Math.abs(x.lat - b.lat_deg) < 0.3 && Math.abs(x.lon - b.lon_deg) < 0.3);
    if (g) g.names.push(b.name); else groups.push({lat: b.lat_deg, lon: b.lon_deg, names: [b.name]});
  }
  for (const g of groups) {
    out.push({kind: "battery", ll: [g.lon, g.lat], text: g.names[0] + (g.names.length > 1 ? ` (+${g.names.length - 1})` : ""),
              title: g.names.join("\n")});
  }
  for (const r of arch.radars) out.push({kind: "radar", ll: [r.lon_deg, r.lat_deg], text: r.name, title: r.name});
  const seen = new Set();
  (current.threats || []).forEach((t, i) => {
    const tr = current.tracks[i];
    if (!tr || !tr.lonlat.length) return;
    if (t.launch && !seen.has("L" + t.launch)) {
      seen.add("L" + t.launch);
      out.push({kind: "launch", ll: tr.lonlat[0], text: t.launch, title: "launch area: " + t.launch});
    }
    if (t.target && !seen.has("T" + t.target)) {
      seen.add("T" + t.target);
      out.push({kind: "target", ll: tr.lonlat[tr.lonlat.length - 1], text: t.target, title: "target: " + t.target});
    }
  });
  return out;
}

function drawLabels() {
  // greedy placement: each label takes the first of eight spots around its point that overlaps no label placed
  // before it (batteries first, then radars, launch areas, targets); a label with no free spot is left out (its
  // name stays in the marker's tooltip)
  const g = svg.append("g").attr("id", "labels");
  const placed = [];
  const hit = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  const shown = places().filter((p) => visibleLL(p.ll) && projection(p.ll)).map((p) => ({...p, xy: projection(p.ll)}));
  for (const p of shown) placed.push({x: p.xy[0] - 5, y: p.xy[1] - 5, w: 10, h: 10});  // no label over a marker
  for (const p of shown) {
    const xy = p.xy;
    if (p.kind === "launch") {
      g.append("path").attr("class", "launch-mark").attr("d", `M${xy[0] - 4},${xy[1] - 4}L${xy[0] + 4},${xy[1] + 4}M${xy[0] + 4},${xy[1] - 4}L${xy[0] - 4},${xy[1] + 4}`)
        .append("title").text(p.title);
    } else if (p.kind === "target") {
      g.append("circle").attr("class", "target-mark").attr("cx", xy[0]).attr("cy", xy[1]).attr("r", 3.5).append("title").text(p.title);
    } else if (p.kind === "radar") {
      g.append("rect").attr("class", "radar-mark").attr("x", xy[0] - 3.5).attr("y", xy[1] - 3.5).attr("width", 7).attr("height", 7)
        .attr("transform", `rotate(45 ${xy[0]} ${xy[1]})`).append("title").text(p.title);
    }
    const t = g.append("text").attr("class", "place-label " + p.kind).text(p.text);  // its marker has the tooltip
    const bb0 = t.node().getBBox();
    const w = bb0.width, h = bb0.height, d = 7;
    const spots = [[d, h / 3], [-d - w, h / 3], [-w / 2, -d], [-w / 2, d + h * 0.7], [d, -d], [d, d + h / 2],
                   [-d - w, -d], [-d - w, d + h / 2]];
    let ok = false;
    for (const [dx, dy] of spots) {
      const box = {x: xy[0] + dx, y: xy[1] + dy - h * 0.8, w: w, h: h};
      if (box.x < 0 || box.y < 0 || box.x + w > W || box.y + h > H) continue;
      if (placed.some((q) => hit(box, q))) continue;
      t.attr("x", xy[0] + dx).attr("y", xy[1] + dy);
      placed.push(box);
      ok = true;
      break;
    }
    if (!ok) t.remove();
  }
}

function enableControls() {
  let r0, p0;
  svg.call(d3.drag()
    .on("start", (e) => { r0 = projection.rotate(); p0 = [e.x, e.y]; })
    .on("drag", (e) => {
      const k = 75 / projection.scale();
      projection.rotate([r0[0] + (e.x - p0[0]) * k, r0[1] - (e.y - p0[1]) * k]);
      draw();
    }));
  svg.on("wheel", (e) => {
    e.preventDefault();
    projection.scale(Math.max(150, Math.min(3000, projection.scale() * (e.deltaY < 0 ? 1.1 : 0.9))));
    draw();
  });
}

function fillBatteries() {
  const rs = $("radar");
  rs.replaceChildren();
  for (const r of current.architecture.radars) {
    const o = document.createElement("option"); o.value = r.name; o.textContent = r.name; rs.appendChild(o);
  }
  if (current.architecture.radars.length) $("halfwidth").value = current.architecture.radars[0].half_width_deg.toFixed(0);
  const dl = $("downloads"); dl.replaceChildren();
  const sc = $("scenario").value;
  for (const [href, text] of [[`/api/export/${sc}.geojson`, "GeoJSON"], [`/api/export/${sc}.kml`, "KML"],
                              [`/api/export/${sc}.czml`, "CZML"], [`/api/report/${sc}.zip`, "report (zip)"]]) {
    const a = document.createElement("a"); a.href = href; a.textContent = text; dl.appendChild(a); dl.append(" ");
  }
  const sel = $("battery");
  sel.replaceChildren();
  for (const b of current.architecture.batteries) {
    const o = document.createElement("option");
    o.value = b.name; o.textContent = b.name; sel.appendChild(o);
  }
  showBattery();
}

function showBattery() {
  const b = current.architecture.batteries.find((x) => x.name === $("battery").value);
  if (!b) return;
  $("lat").value = b.lat_deg.toFixed(2); $("lon").value = b.lon_deg.toFixed(2);
  $("speed").value = b.burnout_speed_km_s.toFixed(2);
}

function same(a, b, tol) { return Math.abs(a - b) <= tol; }

function describeChanges() {
  // what differs between the architecture as loaded (base) and the one shown, in words
  const out = [];
  if (!base || !current) return out;
  const was = new Map(base.batteries.map((b) => [b.name, b]));
  const fmt = (b) => `${b.lat_deg.toFixed(2)}, ${b.lon_deg.toFixed(2)}`;
  const delay = current.applied && current.applied.launch_delay_s;
  for (const b of current.architecture.batteries) {
    const o = was.get(b.name);
    if (!o) { out.push(`added ${b.name} (${b.interceptor}) at ${fmt(b)}`); continue; }
    if (!same(o.lat_deg, b.lat_deg, 0.006) || !same(o.lon_deg, b.lon_deg, 0.006)) out.push(`${b.name} moved from ${fmt(o)} to ${fmt(b)}`);
    if (!same(o.burnout_speed_km_s, b.burnout_speed_km_s, 0.006)) {
      out.push(`${b.name}: burnout speed ${o.burnout_speed_km_s.toFixed(2)} → ${b.burnout_speed_km_s.toFixed(2)} km/s`);
    }
    if (delay === undefined && o.cue_network !== b.cue_network) out.push(`${b.name}: cue ${o.cue_network} → ${b.cue_network}`);
  }
  if (delay !== undefined) out.push(`every battery cued by a launch delay of ${delay} s (instead of its radars)`);
  const hw = new Map(base.radars.map((r) => [r.name, r.half_width_deg]));
  for (const r of current.architecture.radars) {
    if (hw.has(r.name) && !same(hw.get(r.name), r.half_width_deg, 1e-6)) {
      out.push(`${r.name}: azimuth half width ${hw.get(r.name).toFixed(0)}° → ${r.half_width_deg.toFixed(0)}°`);
    }
  }
  return out;
}

function showModified() {
  const items = describeChanges();
  $("modified").hidden = items.length === 0;
  $("modlist").replaceChildren(...items.map((t) => { const li = document.createElement("li"); li.textContent = t; return li; }));
  $("undo").disabled = history.length === 0;
  // why a battery engages nothing (from the server's per-battery counts)
  const ex = $("explain");
  ex.replaceChildren();
  for (const b of current.batteries || []) {
    if (!b.reason) continue;
    const li = document.createElement("li");
    li.textContent = `${b.battery} engages nothing: ${b.reason}`;
    ex.appendChild(li);
  }
}

async function assess(changes) {
  $("status").textContent = "computing…";
  const t0 = performance.now();
  const r = await fetch("/api/assess", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({scenario: $("scenario").value, changes: changes || {}, tracks: true})});
  const d = await r.json();
  if (!r.ok) { $("status").textContent = "error: " + d.detail; return false; }
  current = d;
  current.applied = changes || {};
  if (!changes || isEmpty(changes)) base = d.architecture;  // the architecture as loaded
  selected = null; profile();
  $("roles").replaceChildren(table(d.per_role, ["mission", "trajectories", "engageable", "engageable_share", "best_margin_s"]));
  $("threats").replaceChildren(table(d.threats.filter((t) => t.engageable || t.role === "strategic").slice(0, 60),
    ["label", "role", "engageable", "best_margin_s", "best_battery"]));
  draw();
  $("status").textContent = `${d.scenario}: ${d.tracks.length} trajectories (${Math.round(performance.now() - t0)} ms)`;
  $("status").dataset.ready = "1";
  showModified();
  return true;
}

function isEmpty(c) {
  return !(c.batteries && c.batteries.length) && !(c.add_ships && c.add_ships.length) && c.launch_delay_s === undefined &&
    !(c.radar_half_width_deg && Object.keys(c.radar_half_width_deg).length);
}

async function loadScenarios() {
  const d = await (await fetch("/api/scenarios")).json();
  const sel = $("scenario");
  for (const s of d.bundled) {
    if (s.comparison || s.batteries === 0) continue;
    const o = document.createElement("option"); o.value = s.id; o.textContent = s.name; sel.appendChild(o);
  }
  for (const s of d.saved) {
    const o = document.createElement("option"); o.value = "saved:" + s.id; o.textContent = "saved: " + s.name; sel.appendChild(o);
  }
  sel.value = d.initial || "epaa-phase3";  // openbmd serve SCENARIO
  listSaved(d.saved);
}

function listSaved(saved) {
  const ul = $("saved"); ul.replaceChildren();
  for (const s of saved) {
    const li = document.createElement("li");
    const a = document.createElement("a"); a.href = `/api/saved/${s.id}/download`; a.textContent = s.name;
    li.appendChild(a); ul.appendChild(li);
  }
}

function currentChanges() {
  // every battery edited so far (not only the one selected now), each only where it differs from the original
  const name = $("battery").value;
  const o = base && base.batteries.find((x) => x.name === name);
  if (o && $("lat").value !== "" && $("lon").value !== "" && $("speed").value !== "") {
    const e = {name: name, lat_deg: +$("lat").value, lon_deg: +$("lon").value, burnout_speed_km_s: +$("speed").value};
    const unchanged = same(o.lat_deg, e.lat_deg, 0.006) && same(o.lon_deg, e.lon_deg, 0.006) &&
      same(o.burnout_speed_km_s, e.burnout_speed_km_s, 0.006);
    if (unchanged) delete edits[name]; else edits[name] = e;
  }
  const c = {batteries: Object.values(edits).map((e) => ({...e}))};
  if ($("delay").value !== "") c.launch_delay_s = +$("delay").value;
  const radar = current.architecture.radars.find((r) => r.name === $("radar").value);
  if (radar && $("halfwidth").value !== "" && Math.abs(+$("halfwidth").value - radar.half_width_deg) > 1e-6) {
    c.radar_half_width_deg = {[radar.name]: +$("halfwidth").value};
  }
  if ($("shiplat").value !== "" && $("shiplon").value !== "") {
    c.add_ships = [{name: "added ship", lat_deg: +$("shiplat").value, lon_deg: +$("shiplon").value,
                    interceptor: $("shipic").value}];
  }
  return c;
}

function changesToml() {
  // the saved scenario: the chosen architecture plus the changes, as a scenario file (JSON strings are TOML strings)
  const c = currentChanges(), sc = $("scenario").value, q = JSON.stringify;
  const lines = ["[scenario]", `name = ${q($("savename").value)}`, `extends = ${q(sc)}`];
  if (c.launch_delay_s !== undefined) lines.push("[doctrine]", `launch_delay_s = ${c.launch_delay_s}`);
  for (const b of c.batteries) {
    const was = (base || current.architecture).batteries.find((x) => x.name === b.name);
    lines.push("[[interceptor]]", `name = ${q(b.name + " interceptor (web)")}`, `base = ${q(was.interceptor)}`,
               `burnout_speed_km_s = ${b.burnout_speed_km_s}`,
               "[[battery]]", `name = ${q(b.name)}`, `interceptor = ${q(b.name + " interceptor (web)")}`,
               `lat_deg = ${b.lat_deg}`, `lon_deg = ${b.lon_deg}`);
    if (c.launch_delay_s !== undefined) lines.push('cued_by = "launch_delay"');
  }
  return lines.join("\n") + "\n";
}

async function save() {
  const r = await fetch("/api/saved", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({name: $("savename").value, toml: changesToml()})});
  const d = await r.json();
  $("status").textContent = r.ok ? `saved as ${d.name} (#${d.id})` : "error: " + d.detail;
  listSaved(await (await fetch("/api/saved")).json());
}

async function main() {
  enableControls();
  const topo = await (await fetch("/static/countries-110m.json")).json();
  land = topojson.feature(topo, topo.objects.countries);
  draw();
  await loadScenarios();
  await assess();
  fillBatteries();
  $("scenario").addEventListener("change", async () => { await resetAll(); });
  $("battery").addEventListener("change", showBattery);
  $("apply").addEventListener("click", () => applyChanges());
  $("reset").addEventListener("click", resetAll);
  $("resetmod").addEventListener("click", resetAll);
  $("undo").addEventListener("click", undo);
  $("save").addEventListener("click", save);
  $("phases").addEventListener("click", runPhases);
  $("balance").addEventListener("click", () => runJob({kind: "balance", scenario: $("scenario").value}));
  $("footprint").addEventListener("click", () => runJob({kind: "footprint", scenario: $("scenario").value, step_deg: 1.0}));
  $("speedmap").addEventListener("click", () => runJob({kind: "speed_map", scenario: $("scenario").value, step_deg: 1.0,
                                                        guarantee: "north-speed-limit", launch_delay_s: 120}));
  $("clearlayer").addEventListener("click", () => { layer = null; $("jobresult").replaceChildren(); draw(); });
  $("cancel").addEventListener("click", async () => {
    if (typeof job === "string" && /^[0-9a-f]{12}$/.test(job)) await fetch(`/api/jobs/${job}`, {method: "DELETE"});
  });
}

async function applyChanges() {
  const c = currentChanges();
  if (await assess(c)) history.push(JSON.parse(JSON.stringify({edits: edits, delay: $("delay").value,
    shiplat: $("shiplat").value, shiplon: $("shiplon").value, radar: c.radar_half_width_deg || {}})));
  showModified();
}

async function resetAll() {
  const keep = $("battery").value;
  edits = {}; history = [];
  for (const id of ["delay", "shiplat", "shiplon"]) $(id).value = "";
  await assess();
  fillBatteries();
  if (current.architecture.batteries.some((b) => b.name === keep)) { $("battery").value = keep; showBattery(); }
}

async function undo() {
  history.pop();
  const h = history[history.length - 1];
  if (!h) { await resetAll(); return; }
  edits = JSON.parse(JSON.stringify(h.edits));
  $("delay").value = h.delay; $("shiplat").value = h.shiplat; $("shiplon").value = h.shiplon;
  const c = {batteries: Object.values(edits)};
  if (h.delay !== "") c.launch_delay_s = +h.delay;
  if (Object.keys(h.radar).length) c.radar_half_width_deg = h.radar;
  if (h.shiplat !== "" && h.shiplon !== "") {
    c.add_ships = [{name: "added ship", lat_deg: +h.shiplat, lon_deg: +h.shiplon, interceptor: $("shipic").value}];
  }
  await assess(c);
  showBattery();
}

async function runPhases() { return runJob({kind: "phases", scenario: "default"}); }

function setProgress(done, total) {
  // a finite value between 0 and max; an unknown total shows an empty bar, not a full one
  const bar = $("jobprogress");
  const t = Number.isFinite(total) && total > 0 ? total : null;
  const d = Number.isFinite(done) ? done : 0;
  bar.max = t || 1;
  bar.value = t ? Math.min(Math.max(d, 0), t) : 0;
}

function jobButtons(disabled) {
  for (const id of JOB_BUTTONS) $(id).disabled = disabled;
  $("cancel").disabled = !disabled;
}

async function runJob(body) {
  if (job !== null) return;  // one job at a time: its buttons are disabled while it runs
  job = "starting";
  jobButtons(true);
  setProgress(0, null);
  $("jobresult").replaceChildren();
  $("jobstatus").textContent = "starting…";
  try {
    await pollJob(body);
  } finally {
    job = null;
    jobButtons(false);
  }
}

async function pollJob(body) {
  const r = await fetch("/api/jobs", {method: "POST", headers: {"Content-Type": "application/json"},
                                      body: JSON.stringify(body)});
  const d = await r.json();
  if (!r.ok || typeof d.id !== "string") { $("jobstatus").textContent = "error: " + (d.detail || "no job id"); return; }
  const id = d.id;
  job = id;
  for (;;) {
    await new Promise((res) => setTimeout(res, 500));
    const resp = await fetch(`/api/jobs/${encodeURIComponent(id)}`);
    const s = await resp.json();
    if (!resp.ok) { $("jobstatus").textContent = "error: " + s.detail; return; }
    setProgress(s.state === "done" ? s.total || 1 : s.done, s.state === "done" ? s.total || 1 : s.total);
    $("jobstatus").textContent = s.state + (s.total ? ` (${s.done} of ${s.total})` : "") + (s.error ? ": " + s.error : "");
    if (["done", "failed", "cancelled"].includes(s.state)) {
      if (s.state === "done" && s.kind === "phases") {
        $("jobresult").replaceChildren(table(s.result.phases, ["name", "strategic_engageable_share",
          "southern_covered_share", "defended_area_km2", "strategic_best_margin_s"]));
      } else if (s.state === "done" && s.kind === "balance") {
        $("jobresult").replaceChildren(table(s.result.balance, ["name", "attack", "warheads_total",
          "warheads_engageable", "warheads_attrited_expected", "interceptors", "kill_probability"]));
      } else if (s.state === "done" && s.kind === "footprint") {
        layer = {step: s.result.step_deg, cells: s.result.cells,
                 color: (v) => (v === 1 ? "#2c7bb6" : "#fdae61")};
        $("jobresult").textContent = `defended ${Math.round(s.result.defended_area_km2).toLocaleString()} km² ` +
          `of ${Math.round(s.result.reachable_land_area_km2).toLocaleString()} km² within reach (blue: defended)`;
        draw();
      } else if (s.state === "done" && s.kind === "speed_map") {
        const c = d3.scaleSequential(d3.interpolateViridis).domain([2, 8]);
        layer = {step: s.result.step_deg, cells: s.result.cells, color: c};
        $("jobresult").textContent = `permissible burnout speed, launch ${s.result.launch_delay_s} s after the threat: ` +
          "dark 2 km/s to yellow 8 km/s";
        draw();
      }
      break;
    }
  }
}

main();
