// live.js follows the apply in progress on a run's page: it listens to
// the server-sent events named by the body's data-live attribute and
// shows each step's status as it changes, in the graph, the table and
// the timeline. When the run ends it reloads the page once, for the
// final durations. Without scripts the page reloads itself instead.
"use strict";
(function () {
  var url = document.body.getAttribute("data-live");
  if (!url || !window.EventSource) {
    return;
  }
  var source = new EventSource(url);
  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }
  function seconds(s) {
    if (s < 1) {
      return Math.round(s * 1000) + "ms";
    }
    if (s < 60) {
      return (Math.round(s * 10) / 10) + "s";
    }
    return Math.floor(s / 60) + "m" + String(Math.round(s % 60)).padStart(2, "0") + "s";
  }
  function show(step) {
    var sel = CSS.escape(step.step);
    each('[data-node="' + sel + '"]', function (node) {
      node.setAttribute("class", "node " + step.status);
      var sub = node.querySelector("text.sub");
      if (sub) {
        sub.textContent = step.status + (step.duration_seconds ? " · " + seconds(step.duration_seconds) : "");
      }
      var title = node.querySelector("title");
      if (title) {
        title.textContent = step.step + ": " + step.status;
      }
    });
    each('tr[data-step="' + sel + '"]', function (row) {
      var badge = row.querySelector(".status .badge");
      if (badge) {
        badge.className = "badge " + step.status;
        badge.textContent = step.status;
      }
      var took = row.querySelector(".took");
      if (took && step.duration_seconds) {
        took.textContent = seconds(step.duration_seconds);
      }
    });
  }
  source.addEventListener("progress", function (e) {
    var progress = JSON.parse(e.data);
    (progress.steps || []).forEach(show);
  });
  source.addEventListener("end", function () {
    source.close();
    window.location.reload();
  });
})();
