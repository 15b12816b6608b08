// drafter serve, 起草: the live progress of a model draft. The server sends each part's steps
// as Server-Sent Events (started, status, done; then finished or error); this only shows
// them. EventSource reconnects by itself and the server resends what was missed, and the end
// again, so a page that comes back late still learns how the draft ended.
(function () {
  "use strict";

  var panel = document.getElementById("draft-progress");
  if (!panel || typeof window.EventSource !== "function") { return; }
  var line = panel.querySelector(".progress-line");
  var source = new EventSource(panel.getAttribute("data-events"));

  function item(part) {
    var found = null;
    panel.querySelectorAll(".progress-parts li[data-part]").forEach(function (li) {
      if (li.getAttribute("data-part") === part) { found = li; }
    });
    return found;
  }

  function show(event, done) {
    var data = JSON.parse(event.data);
    var li = item(data.part);
    if (!li || (li.hasAttribute("data-done") && !done)) { return; }
    li.className = "state-" + (done ? data.outcome || "ok" : "running");
    if (done) { li.setAttribute("data-done", ""); }
    li.querySelector(".part-state").textContent = data.text;
  }

  function end(text, failed) {
    source.close();
    line.textContent = text;
    panel.classList.add(failed ? "failed" : "finished");
  }

  source.addEventListener("started", function (e) { show(e, false); });
  source.addEventListener("status", function (e) { show(e, false); });
  source.addEventListener("done", function (e) { show(e, true); });
  source.addEventListener("finished", function (e) {
    end(JSON.parse(e.data).text + "，正在载入…", false);
    window.location.reload();
  });
  source.addEventListener("error", function (e) {
    // The server's "error" event carries data; the connection's own has none (and the
    // browser reconnects by itself).
    if (typeof e.data !== "string") { return; }
    end(JSON.parse(e.data).text, true);
  });
})();
