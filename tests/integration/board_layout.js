/*
 * board_layout.js: does the board's current view fit the browser's viewport? One function
 * expression, evaluated in the page by every browser driver (board_pages.py) with the
 * selectors of the view's key elements; it returns a list of problems, empty when none:
 * - the page scrolls sideways (the document is wider than the viewport);
 * - a key element, the header or one of its parts, a section, or the banner (when shown)
 *   is missing, has no size, or does not lie within the viewport's width;
 * - a table or picture sticks out of its section, or a table cell's content out of the
 *   cell: every line of text (Chinese titles, region names) is checked where the browser
 *   drew it, so text spilling over its neighbour or cut off is caught, not only scrolling.
 * Text inside the map's SVG is left out: the picture clips its own labels.
 */
(function (keys) {
	var bad = [], de = document.documentElement, vw = de.clientWidth;
	var SLACK = 1;		/* sub-pixel rounding */

	function what(e) {
		var cls = typeof e.className === "string" && e.className ? "." +
		    e.className.trim().split(/\s+/).join(".") : "";
		return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + cls;
	}
	function snippet(s) {
		s = (s || "").replace(/\s+/g, " ").trim();
		return s.length > 24 ? s.slice(0, 24) + "…" : s;
	}
	function inViewport(e, name) {
		var r = e.getBoundingClientRect();
		if (r.width === 0 || r.height === 0)
			bad.push(name + " is not shown");
		else if (r.left < -SLACK || r.right > vw + SLACK)
			bad.push(name + " spans x " + Math.round(r.left) + ".." + Math.round(r.right) +
			    ", outside the viewport's width " + vw);
	}
	/* Every rectangle of rects within box (horizontally; vertically too when tall is set). */
	function inside(rects, box, name, tall) {
		for (var i = 0; i < rects.length; i++) {
			var q = rects[i];
			if (q.width === 0)
				continue;
			if (q.left < box.left - SLACK || q.right > box.right + SLACK ||
			    (tall && (q.top < box.top - SLACK || q.bottom > box.bottom + SLACK))) {
				bad.push(name);
				return;
			}
		}
	}

	if (de.scrollWidth > vw || de.scrollWidth > window.innerWidth)
		bad.push("the page scrolls sideways: the document is " + de.scrollWidth +
		    " px wide, the viewport " + vw);
	keys.forEach(function (k) {
		var e = document.querySelector(k);
		if (!e)
			bad.push(k + " is missing");
		else
			inViewport(e, k);
	});
	var banner = document.getElementById("banner");
	if (banner && !banner.hidden) {
		inViewport(banner, "the banner");
		inside(Array.prototype.map.call(banner.querySelectorAll("*"), function (e) {
			return e.getBoundingClientRect();
		}), banner.getBoundingClientRect(),
		    "the banner's text or button sticks out of it", false);
		var br = document.createRange();
		br.selectNodeContents(document.getElementById("banner-text"));
		inside(br.getClientRects(), banner.getBoundingClientRect(),
		    "the banner's text sticks out of it", false);
	}
	document.querySelectorAll("header, header > :not([hidden]), main > *").forEach(function (e) {
		inViewport(e, what(e));
	});
	document.querySelectorAll("section").forEach(function (s) {
		var box = s.getBoundingClientRect();
		s.querySelectorAll("table, svg, ul, ol, p").forEach(function (e) {
			inside([e.getBoundingClientRect()], box, what(e) + " sticks out of " + what(s),
			    false);
		});
	});
	/*
	 * Each text node outside SVG of the main view (the board's pages, or a drill report's
	 * page the board renders): its lines within its cell (in a table) or its section.
	 */
	var walk = document.createTreeWalker(document.querySelector("main"), 4 /* text */);
	for (var n = walk.nextNode(); n; n = walk.nextNode()) {
		if (!n.textContent.trim() || n.parentNode.closest("svg"))
			continue;
		var box = n.parentNode.closest("td, th") || n.parentNode.closest("section");
		if (!box)
			continue;
		var range = document.createRange();
		range.selectNodeContents(n);
		inside(range.getClientRects(), box.getBoundingClientRect(), "the text \"" +
		    snippet(n.textContent) + "\" does not fit in its " + what(box),
		    box.tagName === "TD" || box.tagName === "TH");
	}
	document.querySelectorAll("main td, main th").forEach(function (c) {
		if (c.scrollWidth > c.clientWidth + SLACK)
			bad.push("the cell \"" + snippet(c.textContent) + "\" is clipped (" +
			    c.scrollWidth + " px of content in " + c.clientWidth + ")");
	});
	return bad;
})
