// Voter ballot page: "x/y 已选" while grading, and the review in the page: 下一步 shows the choices here and
// 确认提交 posts them straight to /submit/ (one request instead of two). Optional: without this script
// 下一步 posts the form and the server renders the same review.
(function () {
  "use strict";

  function checkedIn(el) {
    return el.querySelector("input:checked");
  }

  function labelOf(input) {
    return input ? input.nextElementSibling.textContent : "";
  }

  function init() {
    var form = document.querySelector("form.v-form");
    var out = document.querySelector(".v-progress");
    var fill = document.querySelector(".v-fill");
    var review = document.querySelector(".v-inpage");
    if (!form || !out) return;
    var total = parseInt(form.getAttribute("data-total"), 10) || 0;
    var lines = form.querySelectorAll("fieldset.v-line");

    function chosenCount() {
      var n = 0;
      for (var i = 0; i < lines.length; i++) {
        var c = checkedIn(lines[i].querySelector(".v-choices"));
        if (c && c.value !== "0") n++;
      }
      return n;
    }

    function update() {
      var n = 0;
      for (var i = 0; i < lines.length; i++) {
        if (checkedIn(lines[i].querySelector(".v-choices"))) n++;
      }
      out.textContent = "";
      var b = document.createElement("b");
      b.textContent = String(n);
      out.appendChild(b);
      out.appendChild(document.createTextNode("/" + total + " 已选"));
    }
    form.addEventListener("change", update);
    update();

    if (!fill || !review) return;
    var confirm = review.querySelector("form.v-confirm");
    var list = review.querySelector(".v-review");

    // The grade strings the server reads: one character per reporter in page (= ballot) order, then the
    // item grades reporter-major; unchosen is 弃权 ("0"); no item grade at all is "".
    function gradeStrings() {
      var grades = "", items = "", anyItem = false;
      for (var i = 0; i < lines.length; i++) {
        var c = checkedIn(lines[i].querySelector(".v-choices"));
        grades += c ? c.value : "0";
        var its = lines[i].querySelectorAll(".v-item");
        for (var k = 0; k < its.length; k++) {
          var ic = checkedIn(its[k]);
          items += ic ? ic.value : "0";
          if (ic && ic.value !== "0") anyItem = true;
        }
      }
      return { grades: grades, items: anyItem ? items : "" };
    }

    function showReview() {
      list.textContent = "";
      for (var i = 0; i < lines.length; i++) {
        var c = checkedIn(lines[i].querySelector(".v-choices"));
        var set = c && c.value !== "0";
        var li = document.createElement("li");
        li.className = set ? "v-r" + c.value : "v-r0" + (c ? "" : " v-unset");
        var who = document.createElement("span");
        who.className = "v-who";
        who.textContent = lines[i].getAttribute("data-who");
        var grade = document.createElement("b");
        grade.className = "v-grade";
        grade.textContent = c ? (set ? labelOf(c) : "弃权") : "弃权（未选）";
        li.appendChild(who);
        li.appendChild(grade);
        var its = lines[i].querySelectorAll(".v-item");
        for (var k = 0; k < its.length; k++) {
          var ic = checkedIn(its[k]);
          if (!ic || ic.value === "0") continue;
          var s = document.createElement("span");
          s.className = "v-itemgrade";
          s.textContent = its[k].getAttribute("data-name") + "：" + labelOf(ic);
          li.appendChild(s);
        }
        list.appendChild(li);
      }
      review.querySelector(".v-count").textContent = chosenCount() + "/" + total;
      var text = form.querySelector("textarea[name=comment]");
      var comment = text ? text.value.trim() : "";
      var shown = review.querySelector(".v-comment");
      if (shown) {
        shown.textContent = comment;
        shown.hidden = !comment;
        review.querySelector(".v-nocomment").hidden = !!comment;
      }
      var g = gradeStrings();
      confirm.elements.grades.value = g.grades;
      confirm.elements.item_grades.value = g.items;
      confirm.elements.comment.value = comment;
      fill.hidden = true;
      review.hidden = false;
      window.scrollTo(0, 0);
      review.querySelector(".v-title").focus();
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      showReview();
    });
    review.querySelector(".v-back").addEventListener("click", function () {
      review.hidden = true;
      fill.hidden = false;
      window.scrollTo(0, 0);
    });
    confirm.addEventListener("submit", function () {
      // A second tap would be counted once anyway (same nonce); this only spares the wait.
      var button = confirm.querySelector("button[type=submit]");
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
