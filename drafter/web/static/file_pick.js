// drafter serve: file inputs in Chinese. A browser draws <input type=file> in its own UI
// language ("Choose File / No file chosen" in an English Chromium); each one is shown instead
// as a 选择文件 button and the chosen file's name. The input stays in the form (visually
// hidden, still labelled and focusable), so submitting and assistive technology are unchanged.
(function () {
  "use strict";

  function enhance(root) {
    (root || document).querySelectorAll("input[type=file]:not([data-picked])").forEach(function (input) {
      input.dataset.picked = "1";
      var box = document.createElement("span");
      box.className = "file-pick";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button small";
      button.textContent = "选择文件";
      button.setAttribute("aria-hidden", "true");
      button.tabIndex = -1;
      var name = document.createElement("span");
      name.className = "file-pick-name muted";
      name.textContent = "未选择文件";
      input.classList.add("file-pick-input");
      input.parentNode.insertBefore(box, input);
      box.appendChild(input);
      box.appendChild(button);
      box.appendChild(name);
      button.addEventListener("click", function () { input.click(); });
      input.addEventListener("change", function () {
        var files = input.files ? Array.prototype.map.call(input.files, function (f) { return f.name; }) : [];
        name.textContent = files.length ? files.join("、") : "未选择文件";
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
