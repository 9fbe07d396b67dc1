/*
 * board.js: the duty board's pages (docs/BOARD.md). Every text that comes from a message is
 * put into the page with textContent, never as HTML. The views are routes of one page:
 * #/ duty, #/warning/ID, #/report/ID, #/mesh, #/map, #/drills. A drill report itself is a
 * page of its own, /drills/NAME, rendered by the board (cmark's safe renderer) into the same
 * layout: there this script only keeps the clock and the language.
 */
"use strict";

var lang = localStorage.getItem("fh-board-lang") || "zh";
var known = null;		/* ids of warnings already shown: a new red one sounds */
var duty = null;		/* the last /api/duty */
var refreshTimer = null;
var liveUp = false;

var T = {
	reports: ["未处理报告（最早在前）", "Open reports (oldest first)"],
	warnings: ["生效中的预警", "Warnings in force"],
	waiting: ["待确认作者证书的预警", "Warnings waiting for their author's certificate"],
	drills: ["演练 / 测试（非真实）", "Exercises and tests (NOT real)"],
	age: ["时长", "Age"], stage: ["阶段", "Stage"], region: ["地区", "Region"],
	title: ["标题", "Title"], level: ["级别", "Level"], expires: ["到期", "Expires"],
	coverage: ["送达", "Coverage"], time: ["时间", "Time"], none: ["无", "none"],
	overdue: ["超时", "OVERDUE"], unregistered: ["未登记", "unregistered"],
	kind: ["类型", "Kind"], report: ["报告", "report"], warning: ["预警", "warning"],
	newred: ["新的红色预警：", "New RED warning: "],
	township: ["乡镇", "Township"], confirmed: ["已确认", "Confirmed"],
	missing: ["未确认", "Missing"], node: ["节点", "Node"], lastheard: ["最后联系", "Last heard"],
	tree: ["送达路径", "Delivery tree"], hops: ["跳", "hops"], via: ["经由", "via"],
	peers: ["对等节点", "Peers"], state: ["状态", "State"], queue: ["队列", "Queue"],
	lastseen: ["最后联系", "Last seen"], link: ["链路", "Link"], clock: ["时钟偏差", "Clock offset"],
	clockalarm: ["时钟偏差过大", "clock off"], knownnodes: ["已知节点", "Known nodes"],
	timeline: ["闭环进度", "Closed loop"], written: ["上报", "written"],
	map: ["地图（无底图，示意）", "Map (no tiles, schematic)"], back: ["返回值班", "Back to duty"],
	error: ["无法读取：", "Cannot read: "], noposition: ["没有带坐标的报告或预警", "Nothing with a position"],
	loading: ["读取中…", "Loading…"], live: ["实时", "live"], offline: ["未连接", "offline"],
	stages: [{ registered: "已登记", verified: "已核实", handling: "处置中", closed: "已办结" }, null],
	levels: [{ red: "红色", orange: "橙色", yellow: "黄色", blue: "蓝色" }, null],
	drillreports: ["演练评估报告", "Drill reports"], pictures: ["图", "Pictures"],
	nodrillreports: ["没有演练报告（fenghuo drill report ID -o 演练目录/名称）",
	    "No drill reports (fenghuo drill report ID -o DRILLS/NAME)"]
};

function t(k) {
	return T[k][lang === "zh" ? 0 : 1];
}

/* An element with text (never HTML) and attributes. */
function el(tag, attrs, text) {
	var e = document.createElement(tag), k;

	for (k in attrs || {})
		e.setAttribute(k, attrs[k]);
	if (text !== undefined && text !== null)
		e.textContent = String(text);
	return e;
}

function add(parent, child) {
	parent.appendChild(child);
	return child;
}

function fmtAge(ms) {
	var m = Math.floor(ms / 60000);

	if (m < 60)
		return m + (lang === "zh" ? "分" : "m");
	if (m < 2880)
		return Math.floor(m / 60) + (lang === "zh" ? "时" : "h") + ("0" + m % 60).slice(-2) +
		    (lang === "zh" ? "分" : "m");
	return Math.floor(m / 1440) + (lang === "zh" ? "天" : "d");
}

function fmtTime(ms) {
	if (ms === null || ms === undefined)
		return "-";
	var d = new Date(ms);
	function p(n) { return ("0" + n).slice(-2); }
	return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " +
	    p(d.getHours()) + ":" + p(d.getMinutes());
}

function stageName(s) {
	if (!s)
		return t("unregistered");
	return lang === "zh" && T.stages[0][s] ? T.stages[0][s] : s;
}

function levelTag(l) {
	var name = l && lang === "zh" && T.levels[0][l] ? T.levels[0][l] : (l || "-");
	return el("span", { "class": "level " + (l || "") }, name);
}

function regionText(o) {
	return (o.region || "-") + (o.region_name ? " " + o.region_name : "");
}

function table(headers) {
	var tb = el("table"), tr = add(add(tb, el("thead")), el("tr"));

	headers.forEach(function (h) { add(tr, el("th", null, t(h))); });
	add(tb, el("tbody"));
	return tb;
}

function row(tb, cells, cls) {
	var tr = add(tb.tBodies[0], el("tr", cls ? { "class": cls } : null));

	cells.forEach(function (c) {
		var td = add(tr, el("td"));
		if (c instanceof Node)
			td.appendChild(c);
		else
			td.textContent = c === null || c === undefined ? "-" : String(c);
	});
	return tr;
}

function section(parent, key, cls) {
	var s = add(parent, el("section", { "class": cls || "", "id": "sec-" + key }));
	add(s, el("h2", null, t(key)));
	return s;
}

function link(href, text) {
	return el("a", { href: href }, text);
}

function coverageBar(c) {
	var b = el("span", { "class": "bar" }), f = add(b, el("span"));

	if (!c || c.roster === 0) {
		add(b, el("b", null, c && c.roster === 0 ? "0/0" : "-"));
		return b;
	}
	f.style.width = Math.round(100 * c.confirmed / c.roster) + "%";
	add(b, el("b", null, c.confirmed + "/" + c.roster));
	b.setAttribute("title", c.missing + " " + t("missing"));
	return b;
}

function get(path) {
	return fetch(path, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
		return r.json().then(function (j) {
			if (!r.ok)
				throw new Error(j.error || r.status);
			return j;
		});
	});
}

function showError(view, e) {
	add(view, el("p", { "class": "missing" }, t("error") + e.message));
}

/* ---- the duty screen ---- */

function renderDuty(view, d) {
	var now = d.now_ms, items = d.items;
	var reps = items.filter(function (o) { return o.duty === "report"; });
	var wars = items.filter(function (o) { return o.duty === "warning"; });
	var wait = items.filter(function (o) { return o.duty === "waiting-warning"; });
	var drills = items.filter(function (o) { return /^drill-/.test(o.duty); });
	var s, tb;

	reps.sort(function (a, b) { return a.time_ms - b.time_ms; });
	s = section(view, "reports");
	tb = add(s, table(["age", "stage", "region", "title"]));
	tb.id = "reports";
	reps.forEach(function (o) {
		var st = el("span");
		if (o.overdue)
			add(st, el("span", { "class": "tag overdue" }, t("overdue")));
		else
			st.textContent = stageName(o.stage);
		var tr = row(tb, [fmtAge(o.age_ms), st, regionText(o),
		    link("#/report/" + o.id, o.title)], o.overdue ? "overdue" : null);
		tr.dataset.id = o.id;
	});
	if (reps.length === 0)
		add(s, el("p", { "class": "empty" }, t("none")));

	s = section(view, "warnings");
	tb = add(s, table(["level", "title", "expires", "coverage"]));
	tb.id = "warnings";
	wars.forEach(function (o) {
		var tr = row(tb, [levelTag(o.level), link("#/warning/" + o.id, o.title),
		    fmtTime(o.expires_ms), coverageBar(o.coverage)]);
		tr.dataset.id = o.id;
		tr.dataset.level = o.level || "";
	});
	if (wars.length === 0)
		add(s, el("p", { "class": "empty" }, t("none")));

	if (wait.length > 0) {
		s = section(view, "waiting");
		tb = add(s, table(["level", "title", "time"]));
		wait.forEach(function (o) {
			row(tb, [levelTag(o.level), o.title, fmtTime(o.time_ms)]);
		});
	}

	s = section(view, "drills", "wide drill");
	tb = add(s, table(["kind", "level", "region", "title", "time"]));
	tb.id = "drills";
	drills.forEach(function (o) {
		var tr = row(tb, [el("span", { "class": "tag drill" }, (o.status_mark || "演练") + " " +
		    t(o.kind === "warning" ? "warning" : "report")), o.level ? levelTag(o.level) : "-",
		    regionText(o), o.title, fmtTime(o.time_ms)]);
		tr.dataset.id = o.id;
	});
	if (drills.length === 0)
		add(s, el("p", { "class": "empty" }, t("none")));
	void now;
}

/* A new actual red warning since the last look: the banner and a sound. */
function alarm(d) {
	var fresh = [];

	d.items.forEach(function (o) {
		if (o.duty === "warning" && known !== null && !known[o.id] && o.level === "red")
			fresh.push(o);
	});
	known = {};
	d.items.forEach(function (o) {
		if (o.duty === "warning")
			known[o.id] = true;
	});
	if (fresh.length === 0)
		return;
	document.getElementById("banner-text").textContent = t("newred") + fresh[0].title;
	document.getElementById("banner").hidden = false;
	beep();
}

/* Three tones from the Web Audio API: no sound file to fetch. */
function beep() {
	try {
		var ctx = new (window.AudioContext || window.webkitAudioContext)();
		[0, 0.4, 0.8].forEach(function (at) {
			var o = ctx.createOscillator(), g = ctx.createGain();
			o.frequency.value = 880;
			o.connect(g);
			g.connect(ctx.destination);
			g.gain.value = 0.3;
			o.start(ctx.currentTime + at);
			o.stop(ctx.currentTime + at + 0.25);
		});
	} catch (e) {
		/* No audio (or not allowed before a click): the banner says it. */
	}
}

/* ---- a warning ---- */

function renderWarning(view, id) {
	var s = section(view, "coverage", "wide");
	get("/api/coverage/" + encodeURIComponent(id)).then(function (c) {
		var h = add(s, el("p"));
		add(h, levelTag(c.level));
		add(h, el("span", null, " " + c.title + " "));
		add(h, coverageBar({ roster: c.roster, confirmed: c.confirmed, missing: c.missing }));
		var tb = add(s, table(["township", "confirmed", "missing"]));
		(c.townships || []).forEach(function (g) {
			row(tb, [(g.code || "") + " " + (g.name || ""), g.confirmed + "/" + g.roster,
			    (g.missing || []).map(function (m) { return m.name || m.region || m; }).join("、")]);
		});
		var s2 = section(view, "node", "wide");
		var tn = add(s2, table(["node", "region", "confirmed", "lastheard"]));
		(c.nodes || []).forEach(function (n) {
			row(tn, [n.name || n.key.slice(0, 12), regionText(n),
			    n.confirmed ? fmtTime(n.confirmed_ms) : el("span", { "class": "missing" }, t("missing")),
			    n.confirmed ? "" : n.last_heard ? fmtTime(n.last_heard.ms) : "-"]);
		});
		var s3 = section(view, "tree", "wide");
		var ul = add(s3, el("ul"));
		(c.nodes || []).filter(function (n) { return n.confirmed; }).sort(function (a, b) {
			return ((a.path && a.path.hops) || 0) - ((b.path && b.path.hops) || 0);
		}).forEach(function (n) {
			var p = n.path || {};
			var li = add(ul, el("li", null, (n.name || n.key.slice(0, 12)) + " · " +
			    (p.hops !== undefined ? p.hops + " " + t("hops") : "") +
			    (p.via_name ? " · " + t("via") + " " + p.via_name : "") +
			    (p.link ? " · " + p.link : "")));
			li.style.marginLeft = (((p.hops) || 0) * 1.5) + "em";
		});
	}).catch(function (e) { showError(s, e); });
}

/* ---- a report: its closed loop as a timeline, and its path ---- */

function renderReport(view, id) {
	var s = section(view, "timeline", "wide");
	get("/api/message/" + encodeURIComponent(id)).then(function (r) {
		var m = r.message;
		add(s, el("p", null, regionText(m) + " · " + m.title));
		var ol = add(s, el("ol", { id: "timeline" }));
		var li = add(ol, el("li", null, fmtTime(m.time_ms) + " " + t("written") + " · " +
		    regionText(m)));
		li.dataset.stage = "written";
		var seen = {};
		r.refs.filter(function (x) { return x.kind === "receipt" && x.stage; })
		    .sort(function (a, b) { return a.time_ms - b.time_ms; }).forEach(function (x) {
			seen[x.stage] = true;
			var e = add(ol, el("li", null, fmtTime(x.time_ms) + " " + stageName(x.stage) +
			    " · " + regionText(x) + (x.text ? " · " + x.text : "") +
			    (x.counts === false ? " ✗" : "")));
			e.dataset.stage = x.stage;
		});
		["registered", "verified", "handling", "closed"].forEach(function (st) {
			if (!seen[st])
				add(ol, el("li", { "class": "empty" }, stageName(st)));
		});
		reportActions(s, m, r.refs);
		var s2 = section(view, "tree", "wide");
		return get("/api/trace/" + encodeURIComponent(m.id)).then(function (tr) {
			var ul = add(s2, el("ul"));
			(tr.nodes || []).sort(function (a, b) { return (a.hops || 0) - (b.hops || 0); })
			    .forEach(function (n) {
				var e = add(ul, el("li", null, (n.name || (n.node || "").slice(0, 12)) + " · " +
				    (n.hops !== undefined ? n.hops + " " + t("hops") : "") +
				    (n.first_seen_ms ? " · " + fmtTime(n.first_seen_ms) : "")));
				e.style.marginLeft = ((n.hops || 0) * 1.5) + "em";
			});
		}).catch(function (e) { showError(s2, e); });
	}).catch(function (e) { showError(s, e); });
}

/* ---- the mesh ---- */

function renderMesh(view) {
	var s = section(view, "peers", "wide");
	get("/api/peers").then(function (p) {
		var tb = add(s, table(["node", "state", "queue", "lastseen", "link", "clock"]));
		(p.peers || []).forEach(function (x) {
			var st = x.stream || null, off = x.clock_offset_ms;
			var lk = st ? (st.type || "") + " " + (st.bitrate ? st.bitrate + " bit/s" : "") +
			    (st.backlog !== undefined ? " backlog " + st.backlog : "") : "zmq";
			var clk = off === undefined || off === null ? "-" :
			    Math.abs(off) > 60000 ? el("span", { "class": "missing" }, t("clockalarm") + " " +
			    Math.round(off / 1000) + "s") : Math.round(off / 1000) + "s";
			row(tb, [x.name || (x.key || "").slice(0, 12), x.state, x.queue,
			    x.last_seen_ms ? fmtTime(x.last_seen_ms) : "-", lk, clk]);
		});
		var s2 = section(view, "knownnodes", "wide");
		var tk = add(s2, table(["node", "region", "lastseen"]));
		(p.known || []).forEach(function (k) {
			row(tk, [k.name || (k.key || "").slice(0, 12), k.region, fmtTime(k.announced_ms)]);
		});
	}).catch(function (e) { showError(s, e); });
}

/* ---- drill reports: a list; each report is its own page, /drills/NAME ---- */

function renderDrills(view) {
	var s = section(view, "drillreports", "wide");
	get("/api/drills").then(function (d) {
		var tb = add(s, table(["time", "title", "pictures"]));
		tb.id = "drillreports";
		d.drills.forEach(function (r) {
			var base = "/drills/" + encodeURIComponent(r.name), pics = el("span");
			r.pictures.forEach(function (p, i) {
				if (i > 0)
					add(pics, document.createTextNode(" "));
				add(pics, link(base + "/" + encodeURIComponent(p), p));
			});
			var tr = row(tb, [fmtTime(r.time_ms), link(base, r.title), pics]);
			tr.dataset.name = r.name;
		});
		if (d.drills.length === 0)
			add(s, el("p", { "class": "empty" }, t("nodrillreports")));
	}).catch(function (e) { showError(s, e); });
}

/* ---- the map: points and areas on a plain background with a scale ---- */

/* Every [lon, lat] ring (areas) or point of a GeoJSON geometry. */
function shapes(g, out) {
	if (!g)
		return out;
	if (g.type === "Point")
		out.push({ point: g.coordinates });
	else if (g.type === "Polygon")
		out.push({ ring: g.coordinates[0] });
	else if (g.type === "MultiPolygon")
		g.coordinates.forEach(function (p) { out.push({ ring: p[0] }); });
	else if (g.type === "GeometryCollection")
		g.geometries.forEach(function (x) { shapes(x, out); });
	return out;
}

function renderMap(view) {
	var s = section(view, "map", "wide");
	get("/api/duty").then(function (d) {
		var items = [], lons = [], lats = [];
		d.items.forEach(function (o) {
			var sh = shapes(o.geometry, []);
			if (sh.length === 0)
				return;
			items.push({ o: o, sh: sh });
			sh.forEach(function (x) {
				(x.ring || [x.point]).forEach(function (c) { lons.push(c[0]); lats.push(c[1]); });
			});
		});
		if (items.length === 0) {
			add(s, el("p", { "class": "empty" }, t("noposition")));
			return;
		}
		var lat0 = Math.min.apply(null, lats) - 0.02, lat1 = Math.max.apply(null, lats) + 0.02;
		var lon0 = Math.min.apply(null, lons) - 0.02, lon1 = Math.max.apply(null, lons) + 0.02;
		var W = 1000, H = 700, ns = "http://www.w3.org/2000/svg";
		var kx = Math.cos((lat0 + lat1) / 2 * Math.PI / 180) * 111.32;	/* km per degree */
		var sc = Math.min(W / ((lon1 - lon0) * kx), H / ((lat1 - lat0) * 111.32));	/* px per km */
		var svg = document.createElementNS(ns, "svg");
		svg.setAttribute("viewBox", "0 0 " + W + " " + H);
		svg.id = "map";
		function x(lon) { return (lon - lon0) * kx * sc; }
		function y(lat) { return H - (lat - lat0) * 111.32 * sc; }
		function sv(tag, a, text) {
			var e = document.createElementNS(ns, tag), k;
			for (k in a)
				e.setAttribute(k, a[k]);
			if (text)
				e.textContent = text;
			return svg.appendChild(e);
		}
		/* A plain graticule every 0.1 degree: no tiles. */
		for (var g = Math.ceil(lon0 * 10) / 10; g < lon1; g += 0.1)
			sv("line", { x1: x(g), y1: 0, x2: x(g), y2: H, stroke: "#24303c" });
		for (g = Math.ceil(lat0 * 10) / 10; g < lat1; g += 0.1)
			sv("line", { x1: 0, y1: y(g), x2: W, y2: y(g), stroke: "#24303c" });
		items.forEach(function (it) {
			var o = it.o, col = o.kind === "warning" ? ({ red: "#e53935", orange: "#fb8c00",
			    yellow: "#fdd835", blue: "#1e88e5" }[o.level] || "#aaa") : "#8ab4f8";
			var lx = null, ly = null;
			it.sh.forEach(function (sh) {
				if (sh.ring) {
					var p = sv("polygon", { points: sh.ring.map(function (c) {
						return x(c[0]).toFixed(1) + "," + y(c[1]).toFixed(1);
					}).join(" "), fill: col, "fill-opacity": 0.2, stroke: col });
					p.dataset.id = o.id;
					lx = x(sh.ring[0][0]);
					ly = y(sh.ring[0][1]);
				} else {
					var c = sv("circle", { cx: x(sh.point[0]), cy: y(sh.point[1]), r: 6,
					    fill: col });
					c.dataset.id = o.id;
					lx = x(sh.point[0]) + 9;
					ly = y(sh.point[1]) + 5;
				}
			});
			sv("text", { x: lx, y: ly, fill: "#e8eaed", "font-size": 16 }, o.title);
		});
		/* The scale: a round number of km no wider than a quarter of the map. */
		var km = [0.5, 1, 2, 5, 10, 20, 50, 100, 200].filter(function (k) {
			return k * sc < W / 4;
		}).pop() || 0.5;
		sv("line", { x1: 20, y1: H - 20, x2: 20 + km * sc, y2: H - 20, stroke: "#e8eaed",
		    "stroke-width": 3 });
		sv("text", { x: 20, y: H - 28, fill: "#e8eaed", "font-size": 16, id: "scale" },
		    km + " km");
		s.appendChild(svg);
	}).catch(function (e) { showError(s, e); });
}

/* ---- actions: closed-loop receipts signed with the board's key (fenghuo board --key) ---- */

T.act = ["操作", "Action"];
T.sign = ["签署", "Sign"];
T.cancel = ["取消", "Cancel"];
T.note = ["备注（可选）", "Note (optional)"];
T.confirmhead = ["确认签署闭环回执", "Confirm: sign a closed-loop receipt"];
T.signedby = ["签署密钥：", "Signed with key: "];
T.officer = ["值班签署：", "Signing as: "];
T.expired = ["会话已过期，已重新建立：请再试一次。", "The session had expired and was renewed: try again."];
T.verbs = [{ registered: "登记", verified: "核实", handling: "处置中", closed: "办结" },
    { registered: "Register", verified: "Verify", handling: "Handling", closed: "Close" }];

var STAGES = ["registered", "verified", "handling", "closed"];
var session = { actions: false };	/* /api/session: actions, csrf, key */

/* Ask the board whether it acts: the buttons appear only when it does. */
function loadSession() {
	return get("/api/session").then(function (s) {
		session = s;
	}).catch(function () {
		session = { actions: false };
	}).then(function () {
		var o = document.getElementById("officer");
		document.body.dataset.actions = String(!!session.actions);
		if (!session.actions) {
			if (o)
				o.remove();
			return;
		}
		if (!o)
			o = document.querySelector("header").insertBefore(el("span",
			    { id: "officer", "class": "officer" }), document.getElementById("live"));
		o.textContent = t("officer") + keyText();
	});
}

function keyText() {
	var k = session.key || {};
	return (k.name ? k.name + " · " : "") + (k.short || "");
}

function verb(st) {
	return T.verbs[lang === "zh" ? 0 : 1][st] || st;
}

/* The stages a button may sign after stage cur (null: none yet): the later ones, and
 * handling again while handling (a new note). Earlier ones would not move the report. */
function nextStages(cur) {
	var i = STAGES.indexOf(cur);

	return STAGES.filter(function (st, j) {
		return j > i || (st === "handling" && cur === "handling");
	});
}

function post(path, obj) {
	return fetch(path, { method: "POST", credentials: "same-origin", cache: "no-store",
	    headers: { "Content-Type": "application/json", "X-CSRF-Token": session.csrf || "" },
	    body: JSON.stringify(obj) }).then(function (r) {
		return r.json().then(function (j) {
			if (!r.ok) {
				var e = new Error(j.error || r.status);
				e.status = r.status;
				throw e;
			}
			return j;
		});
	});
}

function confirmBox() {
	var box = document.getElementById("confirm"), inner, p;

	if (box)
		return box;
	box = add(document.body, el("div", { id: "confirm", "class": "confirm" }));
	box.hidden = true;
	inner = add(box, el("div", { "class": "box", role: "dialog", "aria-modal": "true" }));
	add(inner, el("h2", { id: "confirm-head" }));
	add(inner, el("p", { id: "confirm-what" }));
	add(inner, el("p", { id: "confirm-key" }));
	add(inner, el("label", { "for": "confirm-note", id: "confirm-note-label" }));
	add(inner, el("input", { id: "confirm-note", type: "text", maxlength: "300" }));
	p = add(inner, el("p", { "class": "buttons" }));
	add(p, el("button", { id: "confirm-ok", type: "button" }));
	add(p, el("button", { id: "confirm-cancel", type: "button" }));
	add(inner, el("p", { id: "confirm-result", "class": "missing" }));
	document.getElementById("confirm-cancel").addEventListener("click", function () {
		box.hidden = true;
	});
	document.addEventListener("keydown", function (e) {
		if (e.key === "Escape")
			box.hidden = true;
	});
	return box;
}

/* Show what will be signed, for which report, with which key; sign only on "Sign". */
function askStage(rep, st) {
	var box = confirmBox(), ok = document.getElementById("confirm-ok");
	var note = document.getElementById("confirm-note");
	var res = document.getElementById("confirm-result");

	document.getElementById("confirm-head").textContent = t("confirmhead");
	document.getElementById("confirm-what").textContent = "「" + rep.title + "」 " +
	    rep.id.slice(0, 12) + " · " + regionText(rep) + " → " + stageName(st);
	document.getElementById("confirm-key").textContent = t("signedby") + keyText();
	document.getElementById("confirm-note-label").textContent = t("note");
	document.getElementById("confirm-cancel").textContent = t("cancel");
	ok.textContent = t("sign") + (lang === "zh" ? "：" : ": ") + verb(st);
	ok.disabled = false;
	note.value = "";
	res.textContent = "";
	box.dataset.report = rep.id;
	box.dataset.stage = st;
	box.hidden = false;
	note.focus();
	ok.onclick = function () {
		ok.disabled = true;
		res.textContent = "";
		post("/api/report/" + encodeURIComponent(rep.id) + "/stage",
		    { stage: st, note: note.value || null }).then(function (r) {
			box.hidden = true;
			document.body.dataset.signed = r.id;
			route();
		}).catch(function (e) {
			ok.disabled = false;
			if (e.status === 403 && /session/.test(e.message)) {
				res.textContent = t("expired");
				loadSession();
			} else
				res.textContent = t("error") + e.message;
		});
	};
}

function stageButtons(parent, rep, stages) {
	stages.forEach(function (st) {
		var b = add(parent, el("button", { type: "button", "class": "act",
		    "data-stage": st }, verb(st)));
		b.addEventListener("click", function () { askStage(rep, st); });
	});
}

/* The report's page: a button for each stage it may go on to. */
function reportActions(s, m, refs) {
	if (!session.actions)
		return;
	var cur = null;
	refs.forEach(function (x) {
		if (x.kind === "receipt" && x.counts !== false &&
		    STAGES.indexOf(x.stage) > STAGES.indexOf(cur))
			cur = x.stage;
	});
	stageButtons(add(s, el("p", { id: "actions", "class": "actions" })), m, nextStages(cur));
}

/* The duty screen's open reports: a button for the next stage of each. */
function dutyActions(view, d) {
	var tb = view.querySelector("#reports"), byId = {};

	if (!session.actions || !tb)
		return;
	d.items.forEach(function (o) { byId[o.id] = o; });
	add(tb.tHead.rows[0], el("th", null, t("act")));
	Array.prototype.forEach.call(tb.tBodies[0].rows, function (tr) {
		var o = byId[tr.dataset.id], td = add(tr, el("td"));
		if (o)
			stageButtons(td, o, nextStages(o.stage || null).slice(0, 1));
	});
}

/* ---- routing, live updates, language ---- */

function route() {
	var view = document.getElementById("view"), h = location.hash.replace(/^#/, "") || "/";
	var m;

	view.textContent = "";
	if ((m = /^\/warning\/([0-9a-f]{8,64})$/.exec(h))) {
		add(view, link("#/", t("back")));
		renderWarning(view, m[1]);
	} else if ((m = /^\/report\/([0-9a-f]{8,64})$/.exec(h))) {
		add(view, link("#/", t("back")));
		renderReport(view, m[1]);
	} else if (h === "/mesh")
		renderMesh(view);
	else if (h === "/map")
		renderMap(view);
	else if (h === "/drills")
		renderDrills(view);
	else
		refresh();
}

function refresh() {
	get("/api/duty").then(function (d) {
		duty = d;
		alarm(d);
		var h = location.hash.replace(/^#/, "") || "/";
		if (h === "/") {
			var view = document.getElementById("view");
			view.textContent = "";
			renderDuty(view, d);
			dutyActions(view, d);
		}
		document.body.dataset.loaded = String(d.now_ms);
	}).catch(function (e) {
		var view = document.getElementById("view");
		if ((location.hash.replace(/^#/, "") || "/") === "/") {
			view.textContent = "";
			showError(view, e);
		}
	});
}

/* Many events at once (a sync round) fetch once. */
function soon() {
	if (refreshTimer !== null)
		return;
	refreshTimer = setTimeout(function () {
		refreshTimer = null;
		refresh();
	}, 300);
}

function setLive(up) {
	var l = document.getElementById("live");

	if (!document.getElementById("view"))
		return;		/* a drill report's page follows nothing */
	liveUp = up;
	l.className = "live " + (up ? "up" : "down");
	l.textContent = t(up ? "live" : "offline");
}

function connect() {
	var es = new EventSource("/api/events");

	es.addEventListener("daemon", function (e) {
		setLive(JSON.parse(e.data).up);
		soon();
	});
	es.addEventListener("message", soon);
	es.addEventListener("resync", soon);
	es.onerror = function () {
		setLive(false);
		/* The browser retries by itself; after a hard failure, start again. */
		if (es.readyState === EventSource.CLOSED)
			setTimeout(connect, 3000);
	};
}

function applyLang() {
	document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
	document.querySelectorAll("[data-zh]").forEach(function (e) {
		e.textContent = e.dataset[lang];
	});
	document.getElementById("lang").textContent = lang === "zh" ? "English" : "中文";
	setLive(liveUp);
}

function tick() {
	document.getElementById("clock").textContent = fmtTime(Date.now()) + ":" +
	    ("0" + new Date().getSeconds()).slice(-2);
}

document.addEventListener("DOMContentLoaded", function () {
	var app = document.getElementById("view") !== null;

	if (!app)
		document.getElementById("live").hidden = true;
	applyLang();
	document.getElementById("lang").addEventListener("click", function () {
		lang = lang === "zh" ? "en" : "zh";
		localStorage.setItem("fh-board-lang", lang);
		applyLang();
		if (app)
			route();
	});
	if (!app) {
		/* A drill report's page: its title, the clock and the language, nothing to fetch. */
		var h1 = document.querySelector("main h1");
		if (h1)
			document.title = h1.textContent + " · " + document.title;
		tick();
		setInterval(tick, 1000);
		return;
	}
	document.getElementById("banner-close").addEventListener("click", function () {
		document.getElementById("banner").hidden = true;
	});
	window.addEventListener("hashchange", route);
	tick();
	setInterval(tick, 1000);
	/* Ages move on even when nothing arrives. */
	setInterval(soon, 60000);
	/* Whether this board acts (and as whom) decides which buttons the views get. */
	loadSession().then(route);
	connect();
});
