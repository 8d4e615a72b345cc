// Voter ballot page: show "x/y 已选" while grading. Optional: the page works without it.
(function () {
  "use strict";
  function init() {
    var form = document.querySelector("form.v-form");
    var out = document.querySelector(".v-progress");
    if (!form || !out) return;
    var total = parseInt(form.getAttribute("data-total"), 10) || 0;
    function update() {
      var n = 0;
      var groups = form.querySelectorAll(".v-choices");
      for (var i = 0; i < groups.length; i++) {
        if (groups[i].querySelector("input:checked")) n++;
      }
      out.textContent = "";
      var b = document.createElement("b");
      b.textContent = String(n);
      out.appendChild(b);
      out.appendChild(document.createTextNode("/" + total + " 已选"));
    }
    form.addEventListener("change", update);
    update();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
