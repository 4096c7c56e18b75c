// sort.js sorts a table in place when a person picks a column heading,
// instead of asking the server for the page again; the headings are
// links that sort on the server when scripts are off. A second pick of
// the same heading reverses the order.
"use strict";
(function () {
  function value(row, col) {
    var cell = row.cells[col];
    return cell ? cell.getAttribute("data-value") : "";
  }
  function compare(a, b) {
    var x = parseFloat(a), y = parseFloat(b);
    var xn = a !== "" && !isNaN(x) && isFinite(a), yn = b !== "" && !isNaN(y) && isFinite(b);
    if (xn && yn) {
      return x - y;
    }
    if (xn !== yn) {
      return xn ? -1 : 1;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }
  // order returns href with the given order, as a path and query.
  function order(href, dir) {
    var url = new URL(href, window.location.href);
    url.searchParams.set("order", dir);
    return url.pathname + url.search;
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var link = th.querySelector("a[data-sort]");
      if (!link) {
        return;
      }
      link.addEventListener("click", function (e) {
        e.preventDefault();
        var desc = th.getAttribute("aria-sort") === "ascending";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var c = compare(value(a, col), value(b, col));
          return desc ? -c : c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
        Array.prototype.forEach.call(heads, function (h) {
          h.removeAttribute("aria-sort");
          var a = h.querySelector("a[data-sort]");
          if (a) {
            a.href = order(a.href, "asc");
          }
        });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        var here = order(link.href, desc ? "desc" : "asc");
        window.history.replaceState(null, "", here);
        link.href = order(link.href, desc ? "asc" : "desc");
      });
    });
  });
})();
