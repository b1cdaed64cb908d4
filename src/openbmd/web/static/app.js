// openbmd web view: an orthographic globe and the engagement table, from the local JSON API only.
"use strict";
const $ = (id) => document.getElementById(id);
const W = 640, H = 640;
const svg = d3.select("#globe");
const projection = d3.geoOrthographic().scale(300).translate([W / 2, H / 2]).rotate([-10, -50]).clipAngle(90);
const path = d3.geoPath(projection);
let land = null, current = null, base = null, selected = null, job = null, layer = null;

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
          $("lat").value = ll[1].toFixed(2); $("lon").value = ll[0].toFixed(2);
          assess(currentChanges());
        }));
    }
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

async function assess(changes) {
  $("status").textContent = "computing…";
  const t0 = performance.now();
  const r = await fetch("/api/assess", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({scenario: $("scenario").value, changes: changes || {}, tracks: true})});
  const d = await r.json();
  if (!r.ok) { $("status").textContent = "error: " + d.detail; return; }
  current = d;
  selected = null; profile();
  $("roles").replaceChildren(table(d.per_role, ["mission", "trajectories", "engageable", "engageable_share", "best_margin_s"]));
  $("threats").replaceChildren(table(d.threats.filter((t) => t.engageable || t.role === "strategic").slice(0, 60),
    ["label", "role", "engageable", "best_margin_s", "best_battery"]));
  draw();
  $("status").textContent = `${d.scenario}: ${d.tracks.length} trajectories (${Math.round(performance.now() - t0)} ms)`;
  $("status").dataset.ready = "1";
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
  const c = {batteries: [{name: $("battery").value, lat_deg: +$("lat").value, lon_deg: +$("lon").value,
                          burnout_speed_km_s: +$("speed").value}]};
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
  // the saved scenario: the chosen architecture plus the change, as a scenario file
  const c = currentChanges(), b = c.batteries[0], sc = $("scenario").value;
  const lines = ["[scenario]", `name = "${$("savename").value.replace(/"/g, "")}"`, `extends = "${sc}"`];
  if (c.launch_delay_s !== undefined) lines.push("[doctrine]", `launch_delay_s = ${c.launch_delay_s}`);
  lines.push("[[interceptor]]", `name = "${b.name} interceptor (web)"`,
             `base = "${current.architecture.batteries.find((x) => x.name === b.name).interceptor}"`,
             `burnout_speed_km_s = ${b.burnout_speed_km_s}`,
             "[[battery]]", `name = "${b.name}"`, `interceptor = "${b.name} interceptor (web)"`,
             `lat_deg = ${b.lat_deg}`, `lon_deg = ${b.lon_deg}`);
  if (c.launch_delay_s !== undefined) lines.push('cued_by = "launch_delay"');
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
  $("scenario").addEventListener("change", async () => { await assess(); fillBatteries(); });
  $("battery").addEventListener("change", showBattery);
  $("apply").addEventListener("click", () => assess(currentChanges()));
  $("reset").addEventListener("click", async () => { $("delay").value = ""; await assess(); fillBatteries(); });
  $("save").addEventListener("click", save);
  $("phases").addEventListener("click", runPhases);
  $("balance").addEventListener("click", () => runJob({kind: "balance", scenario: $("scenario").value}));
  $("footprint").addEventListener("click", () => runJob({kind: "footprint", scenario: $("scenario").value, step_deg: 1.0}));
  $("speedmap").addEventListener("click", () => runJob({kind: "speed_map", scenario: $("scenario").value, step_deg: 1.0,
                                                        guarantee: "north-speed-limit", launch_delay_s: 120}));
  $("clearlayer").addEventListener("click", () => { layer = null; $("jobresult").replaceChildren(); draw(); });
  $("cancel").addEventListener("click", async () => { if (job) await fetch(`/api/jobs/${job}`, {method: "DELETE"}); });
}

async function runPhases() { return runJob({kind: "phases", scenario: "default"}); }

async function runJob(body) {
  const r = await fetch("/api/jobs", {method: "POST", headers: {"Content-Type": "application/json"},
                                      body: JSON.stringify(body)});
  const d = await r.json();
  if (!r.ok) { $("jobstatus").textContent = "error: " + d.detail; return; }
  job = d.id; $("cancel").disabled = false; $("phases").disabled = true;
  $("jobresult").replaceChildren();
  for (;;) {
    await new Promise((res) => setTimeout(res, 500));
    const s = await (await fetch(`/api/jobs/${job}`)).json();
    $("jobprogress").max = s.total || 1; $("jobprogress").value = s.done;
    $("jobstatus").textContent = s.state + (s.error ? ": " + s.error : "");
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
  job = null; $("cancel").disabled = true; $("phases").disabled = false;
}

main();
