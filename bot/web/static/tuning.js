/* Signals tuning page: make the min_importance slider live.
   The page works without this script (the slider is a GET form). Every threshold's
   figures are computed on the server by the same replay as `signals tune` and embedded
   in #tuning-data; this script only looks them up and redraws. */
(function () {
  "use strict";
  var dataEl = document.getElementById("tuning-data");
  var slider = document.getElementById("threshold");
  if (!dataEl || !slider) { return; }
  var data = JSON.parse(dataEl.textContent);
  var line = document.getElementById("chosen-line");
  var left = parseFloat(line.getAttribute("data-left"));
  var right = parseFloat(line.getAttribute("data-right"));

  function setText(id, text) { var el = document.getElementById(id); if (el) { el.textContent = text; } }

  function fill(listId, ids) {
    var ul = document.getElementById(listId);
    while (ul.firstChild) { ul.removeChild(ul.firstChild); }
    var stories = ids.map(function (id) { return [id].concat(data.stories[id]); });
    stories.sort(function (a, b) { return parseFloat(b[2]) - parseFloat(a[2]) || (a[0] < b[0] ? -1 : 1); });
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
      imp.textContent = s[2];
      var a = document.createElement("a");
      a.href = "/story/" + encodeURIComponent(s[0]);
      a.textContent = s[1];  /* textContent: feed text is never parsed as HTML */
      li.appendChild(imp);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(a);
      ul.appendChild(li);
    });
  }

  function update() {
    var th = parseFloat(slider.value);
    var row = data.rows[String(th)];
    if (!row) { return; }
    var shown = th.toFixed(1);
    setText("threshold-out", shown);
    setText("sel-threshold", shown);
    setText("sel-alerts", row.alerts_per_day);
    setText("sel-max", row.max_per_day);
    setText("sel-digest", row.digest_items);
    setText("sel-precision", row.precision);
    setText("sel-rated", row.rated);
    setText("sel-missed", row.missed);
    setText("sel-total", row.alerts);
    setText("gained-count", String(row.gained.length));
    setText("lost-count", String(row.lost.length));
    setText("yaml-line", "min_importance: " + String(th));
    fill("gained", row.gained);
    fill("lost", row.lost);
    var x = (left + (right - left) * th / 10).toFixed(1);
    document.querySelectorAll(".th-chosen").forEach(function (l) {
      l.setAttribute("x1", x);
      l.setAttribute("x2", x);
    });
    document.querySelectorAll("#threshold-table tbody tr").forEach(function (tr) {
      tr.classList.toggle("chosen", tr.getAttribute("data-threshold") === String(th));
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
