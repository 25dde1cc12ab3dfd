/* Signals tuning page: make the min_importance slider live.
   The page works without this script (the slider is a GET form); this only recomputes
   the figures in the browser with the same rules as bot/web/tuning.py. */
(function () {
  "use strict";
  var dataEl = document.getElementById("tuning-data");
  var slider = document.getElementById("threshold");
  if (!dataEl || !slider) { return; }
  var data = JSON.parse(dataEl.textContent);
  var line = document.getElementById("chosen-line");
  var left = parseFloat(line.getAttribute("data-left"));
  var right = parseFloat(line.getAttribute("data-right"));

  function fmt1(v) { return (Math.floor(v * 10 + 0.5) / 10).toFixed(1); }
  function fmtG(v) { return String(v); }
  function setText(id, text) { var el = document.getElementById(id); if (el) { el.textContent = text; } }

  function row(th) {
    var hit = data.stories.filter(function (s) { return s.imp >= th; });
    var perDay = {};
    var maxDay = 0, rated = 0, good = 0;
    hit.forEach(function (s) {
      perDay[s.day] = (perDay[s.day] || 0) + 1;
      if (perDay[s.day] > maxDay) { maxDay = perDay[s.day]; }
      if (s.label !== 0) { rated += 1; if (s.label > 0) { good += 1; } }
    });
    return {
      perDay: Math.floor(hit.length / data.days * 100 + 0.5) / 100,
      maxDay: maxDay, rated: rated,
      precision: rated ? Math.floor(good / rated * 100 + 0.5) + "%" : "\u2014"
    };
  }

  function fill(listId, stories) {
    var ul = document.getElementById(listId);
    while (ul.firstChild) { ul.removeChild(ul.firstChild); }
    if (!stories.length) {
      var none = document.createElement("li");
      none.className = "muted none";
      none.textContent = "none";
      ul.appendChild(none);
      return;
    }
    stories.forEach(function (s) {
      var li = document.createElement("li");
      var imp = document.createElement("span");
      imp.className = "imp-s";
      imp.textContent = fmt1(s.imp);
      var a = document.createElement("a");
      a.href = "/story/" + encodeURIComponent(s.id);
      a.textContent = s.title;  /* textContent: feed text is never parsed as HTML */
      li.appendChild(imp);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(a);
      ul.appendChild(li);
    });
  }

  function update() {
    var th = parseFloat(slider.value);
    var r = row(th);
    setText("threshold-out", fmt1(th));
    setText("sel-threshold", fmt1(th));
    setText("sel-alerts", r.perDay.toFixed(2));
    setText("sel-max", String(r.maxDay));
    setText("sel-precision", r.precision);
    setText("sel-rated", r.rated + " rated");
    setText("yaml-line", "min_importance: " + fmtG(th));
    var lo = Math.min(th, data.current), hi = Math.max(th, data.current);
    var moved = data.stories.filter(function (s) { return s.imp >= lo && s.imp < hi; });
    var gained = th < data.current ? moved : [];
    var lost = th < data.current ? [] : moved;
    setText("gained-count", String(gained.length));
    setText("lost-count", String(lost.length));
    fill("gained", gained);
    fill("lost", lost);
    var x = left + (right - left) * th / 10;
    document.querySelectorAll(".th-chosen").forEach(function (l) {
      l.setAttribute("x1", x.toFixed(1));
      l.setAttribute("x2", x.toFixed(1));
    });
    document.querySelectorAll("#threshold-table tbody tr").forEach(function (tr) {
      tr.classList.toggle("chosen", parseFloat(tr.getAttribute("data-threshold")) === th);
    });
    if (window.history && window.history.replaceState) {
      var url = new URL(window.location.href);
      url.searchParams.set("channel", data.channel);
      url.searchParams.set("days", String(data.days));
      url.searchParams.set("threshold", String(th));
      window.history.replaceState(null, "", url.toString());
    }
  }

  slider.addEventListener("input", update);
  slider.addEventListener("change", update);
}());
