/* Diplomacy Hub: a searchable picker for long lists (the 271 missions). A
   <select data-combobox> stays in the form, hidden, and keeps the value; in front of it, a
   text box with a list of the options that match what is typed (WAI-ARIA combobox with a
   listbox popup, list autocomplete, manual selection). A <select multiple> keeps the
   list open after each choice (a multi-selectable listbox: choosing toggles), and shows
   what is chosen above the box, each with a button that removes it
   (data-combobox-remove: its label, "%(name)s" standing for the option). Without
   JavaScript, the plain select works. No inline script or style (the Content Security
   Policy forbids them). */
(function () {
  "use strict";

  var counter = 0;

  // Accents and case folded, so that "egypte" finds "Égypte" and "sao" finds "São Paulo".
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function initCombobox(select) {
    if (select.hasAttribute("data-combobox-ready")) return;
    select.setAttribute("data-combobox-ready", "");
    counter += 1;
    var listId = "combobox-list-" + counter;
    var wrapper = document.createElement("div");
    wrapper.className = "combobox";
    var input = document.createElement("input");
    input.type = "text";
    input.className = "combobox__input";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");
    input.setAttribute("spellcheck", "false");
    if (select.getAttribute("data-combobox-placeholder")) {
      input.placeholder = select.getAttribute("data-combobox-placeholder");
    }
    // The label points at the text box now; the select keeps its name for the form.
    if (select.id) {
      input.id = select.id;
      select.id = select.id + "-select";
    }
    ["aria-describedby", "aria-invalid", "required"].forEach(function (name) {
      if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
    });
    // A hidden control cannot be focused to show its error: the text box asks instead.
    select.removeAttribute("required");
    var multiple = select.multiple;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "combobox__list";
    list.setAttribute("role", "listbox");
    if (multiple) list.setAttribute("aria-multiselectable", "true");
    list.hidden = true;
    // What a multiple select holds, shown (and removable) above its text box.
    var chosen = document.createElement("ul");
    chosen.className = "combobox__chosen";
    chosen.hidden = true;
    var empty = document.createElement("li");
    empty.className = "combobox__empty";
    empty.setAttribute("role", "presentation");
    empty.textContent = select.getAttribute("data-combobox-empty") || "—";

    // One entry per option with a value; optgroup labels become group headings.
    var items = [];
    Array.prototype.forEach.call(select.children, function (child) {
      if (child.tagName === "OPTGROUP") {
        var heading = document.createElement("li");
        heading.className = "combobox__group";
        heading.setAttribute("role", "presentation");
        heading.textContent = child.label;
        list.appendChild(heading);
        var members = [];
        Array.prototype.forEach.call(child.children, function (option) {
          members.push(addOption(option, child.label));
        });
        heading.members = members;
      } else if (child.value) {
        addOption(child, "");
      }
    });
    list.appendChild(empty);

    function addOption(option, group) {
      var item = document.createElement("li");
      item.id = listId + "-" + items.length;
      item.className = "combobox__option";
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", option.selected && option.value ? "true" : "false");
      item.textContent = option.textContent;
      var entry = { option: option, item: item, words: fold(option.textContent + " " + group) };
      items.push(entry);
      list.appendChild(item);
      item.addEventListener("mousedown", function (event) { event.preventDefault(); });
      item.addEventListener("click", function () { choose(entry); });
      return entry;
    }

    select.hidden = true;
    select.tabIndex = -1;
    select.setAttribute("aria-hidden", "true");
    select.parentNode.insertBefore(wrapper, select);
    if (multiple) wrapper.appendChild(chosen);
    wrapper.appendChild(input);
    wrapper.appendChild(list);
    wrapper.appendChild(select);

    var shown = [];
    var active = -1;

    function selectedText() {
      if (multiple) return "";
      var option = select.options[select.selectedIndex];
      return option && option.value ? option.textContent : "";
    }

    function showChosen() {
      if (!multiple) return;
      chosen.textContent = "";
      var removeLabel = select.getAttribute("data-combobox-remove") || "× %(name)s";
      items.forEach(function (entry) {
        if (!entry.option.selected) return;
        var chip = document.createElement("li");
        chip.className = "combobox__chip";
        var name = document.createElement("span");
        name.textContent = entry.option.textContent;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "combobox__remove";
        remove.textContent = "×";
        remove.setAttribute("aria-label", removeLabel.replace("%(name)s", entry.option.textContent));
        remove.addEventListener("click", function () {
          entry.option.selected = false;
          entry.item.setAttribute("aria-selected", "false");
          showChosen();
          select.dispatchEvent(new Event("change", { bubbles: true }));
          input.focus();
        });
        chip.appendChild(name);
        chip.appendChild(remove);
        chosen.appendChild(chip);
      });
      chosen.hidden = !chosen.children.length;
    }

    function filter() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      shown = [];
      items.forEach(function (entry) {
        var match = words.every(function (word) { return entry.words.indexOf(word) !== -1; });
        entry.item.hidden = !match;
        if (match) shown.push(entry);
      });
      Array.prototype.forEach.call(list.querySelectorAll(".combobox__group"), function (heading) {
        heading.hidden = !heading.members.some(function (entry) { return !entry.item.hidden; });
      });
      empty.hidden = shown.length > 0;
      setActive(shown.length ? 0 : -1);
    }

    function setActive(index) {
      if (active >= 0 && shown[active]) shown[active].item.classList.remove("is-active");
      active = index;
      if (active >= 0 && shown[active]) {
        shown[active].item.classList.add("is-active");
        input.setAttribute("aria-activedescendant", shown[active].item.id);
        shown[active].item.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open() {
      if (!list.hidden) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      filter();
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function choose(entry) {
      if (multiple) {
        // Choosing toggles; the list stays open for the next one.
        entry.option.selected = !entry.option.selected;
        entry.item.setAttribute("aria-selected", entry.option.selected ? "true" : "false");
        showChosen();
        select.dispatchEvent(new Event("change", { bubbles: true }));
        return;
      }
      items.forEach(function (other) { other.item.setAttribute("aria-selected", other === entry ? "true" : "false"); });
      select.value = entry.option.value;
      input.value = entry.option.textContent;
      close();
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    input.value = selectedText();
    showChosen();
    input.addEventListener("input", function () { list.hidden ? open() : filter(); });
    input.addEventListener("focus", function () { input.select(); });
    input.addEventListener("click", open);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { open(); return; }
        var step = event.key === "ArrowDown" ? 1 : -1;
        if (shown.length) setActive((active + step + shown.length) % shown.length);
      } else if (event.key === "Enter" && !list.hidden) {
        event.preventDefault();  // choosing is not submitting
        if (active >= 0 && shown[active]) choose(shown[active]);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        input.value = selectedText();
        close();
      }
    });
    input.addEventListener("blur", function () {
      // An emptied box clears the choice; anything else typed but not chosen is undone.
      if (!multiple && !input.value.trim() && select.value) {
        select.value = "";
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      input.value = selectedText();
      close();
    });
  }

  function initAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("select[data-combobox]"), initCombobox);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { initAll(document); });
  } else {
    initAll(document);
  }
  // Parts of pages that htmx swaps in.
  document.addEventListener("htmx:load", function (event) { initAll(event.target); });
})();
