// A live count under a note box with a limit (data-limit): the text is never cut, the count says when it is over.
(function () {
  "use strict";
  function update(box, out) {
    var limit = parseInt(box.getAttribute("data-limit"), 10);
    var used = box.value.length;
    var over = used - limit;
    out.textContent = over > 0
      ? used.toLocaleString("en-GB") + " of " + limit.toLocaleString("en-GB") + " characters: " +
        over.toLocaleString("en-GB") + " too many"
      : used.toLocaleString("en-GB") + " of " + limit.toLocaleString("en-GB") + " characters";
    out.classList.toggle("cft-over-limit", over > 0);
  }
  document.querySelectorAll("textarea[data-limit][data-count]").forEach(function (box) {
    var out = document.getElementById(box.getAttribute("data-count"));
    if (!out) { return; }
    box.addEventListener("input", function () { update(box, out); });
    update(box, out);
  });
})();
