// Take a case in for a registered person: find them by name, phone or ID number; the
// server then takes the name, the phone (never shown here) and the room from the registry.
(function () {
  "use strict";
  var box = document.querySelector("[data-person-lookup]");
  if (!box) return;
  var form = box.closest("form");
  var query = box.querySelector("[data-person-query]");
  var chosenField = box.querySelector("[name=registered_person]");
  var list = box.querySelector("[data-person-results]");
  var note = box.querySelector("[data-person-chosen]");
  var timer = null;
  var asked = 0;

  function choose(person) {
    chosenField.value = person.id;
    var name = form.elements.reporter_name;
    if (name) name.value = person.name;
    note.textContent = note.getAttribute("data-template")
      .replace("%(name)s", person.name)
      .replace("%(phone)s", person.phone || "—")
      .replace("%(address)s", person.address || "—");
    list.hidden = true;
  }

  function show(results) {
    list.textContent = "";
    if (!results.length) {
      note.textContent = note.getAttribute("data-none");
      list.hidden = true;
      return;
    }
    results.forEach(function (person) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-like";
      // Text only: a name typed into the registry is never markup.
      button.textContent = [person.name, person.phone, person.document, person.address]
        .filter(Boolean).join(" · ");
      button.addEventListener("click", function () { choose(person); });
      item.appendChild(button);
      list.appendChild(item);
    });
    list.hidden = false;
  }

  function search() {
    var text = query.value.trim();
    if (text.length < 2) { list.hidden = true; return; }
    var mine = ++asked;
    fetch(box.getAttribute("data-person-lookup") + "?q=" + encodeURIComponent(text), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (answer) { if (mine === asked) show(answer.results); })
      .catch(function () { list.hidden = true; });
  }

  query.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 300);
  });
  query.addEventListener("keydown", function (event) {
    // Enter searches; it must not send the whole intake form.
    if (event.key === "Enter") { event.preventDefault(); search(); }
  });
})();
