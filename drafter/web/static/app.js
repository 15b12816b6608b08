// drafter serve: totals as you type, findings marked at their cells after each save.
(function () {
  "use strict";

  function inputs() {
    return document.querySelectorAll("#stats-form input[data-key]");
  }

  function byKey(key) {
    var found = null;
    inputs().forEach(function (el) { if (el.dataset.key === key) { found = el; } });
    return found;
  }

  // A row's 总计 (…total) is the sum of the row's other cells, recomputed as you type.
  function recompute(changed) {
    var key = changed.dataset.key || "";
    var cut = key.lastIndexOf(".");
    if (cut < 0 || key.slice(cut + 1) === "total") { return; }
    var prefix = key.slice(0, cut);
    var total = byKey(prefix + ".total");
    if (!total || total.readOnly) { return; }
    var sum = 0, any = false, ok = true;
    inputs().forEach(function (el) {
      var k = el.dataset.key;
      if (k.indexOf(prefix + ".") !== 0 || k === prefix + ".total") { return; }
      if (k.slice(prefix.length + 1).indexOf(".") >= 0) { return; }
      var text = el.value.replace(/[,，\s]/g, "");
      if (text === "") { return; }
      if (!/^\d+$/.test(text)) { ok = false; return; }
      sum += parseInt(text, 10);
      any = true;
    });
    if (ok && any) { total.value = String(sum); }
  }

  // The findings panel lists each finding with the key of its cell: mark those cells.
  function mark() {
    document.querySelectorAll("#stats-form td.value").forEach(function (td) {
      td.classList.remove("mark-error", "mark-warning", "mark-advice");
      td.removeAttribute("title");
    });
    document.querySelectorAll("#findings li.finding[data-key]").forEach(function (li) {
      var key = li.dataset.key;
      var input = byKey(key) || byKey(key + ".total");
      if (!input) { return; }
      var td = input.closest("td");
      var severity = ["error", "warning", "advice"].filter(function (s) {
        return li.classList.contains(s);
      })[0];
      var line = li.dataset.code + "：" + li.dataset.message;
      if (!td.className.match(/mark-/)) { td.classList.add("mark-" + severity); }
      td.title = td.title ? td.title + "\n" + line : line;
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("#stats-form input[data-key]")) {
      recompute(event.target);
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 409) {  // a refused save: show why
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSettle", mark);
  document.addEventListener("click", function (event) {
    var li = event.target.closest && event.target.closest("#findings li.finding[data-key]");
    if (!li) { return; }
    var input = byKey(li.dataset.key) || byKey(li.dataset.key + ".total");
    if (input) { input.focus(); input.select(); }
  });
})();
