/* Live question suggestions under every search box with a data-suggest attribute.
 *
 * Korean IME: "input" fires while a syllable is still being composed (ㅅ → 소 → 송), so we
 * listen to it and debounce; "compositionend" only reschedules the same lookup. Keys pressed
 * while composing belong to the IME (Enter finishes the syllable), so they are ignored here.
 * Without JavaScript the form simply submits to /search.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 150;
  var MAX_QUERY = 200;
  // Where to go when nothing fits (no_match): the same three ways as the search page's.
  var PEOPLE = [
    ["/inquiries/new", "1:1 문의하기"],
    ["/chat", "채팅 상담"],
    ["/callbacks/new", "전화 상담 예약"]
  ];

  function setup(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var endpoint = input.getAttribute("data-suggest");
    if (!list || !endpoint || !window.fetch) {
      return;
    }
    var timer = null;
    var controller = null;
    var sequence = 0;
    var active = -1;
    var shownFor = null;

    function options() {
      return list.querySelectorAll('[role="option"]');
    }

    function highlight(index) {
      var items = options();
      active = index;
      for (var i = 0; i < items.length; i += 1) {
        items[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      highlight(-1);
    }

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function option(item, index) {
      var li = document.createElement("li");
      li.id = list.id + "-" + index;
      li.className = "suggestion";
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var link = document.createElement("a");
      link.href = "/articles/" + encodeURIComponent(item.id);
      link.tabIndex = -1;
      link.textContent = item.question; // textContent: suggestions are never parsed as HTML
      var category = document.createElement("span");
      category.className = "suggestion-category";
      category.textContent = item.category;
      link.appendChild(category);
      li.appendChild(link);
      return li;
    }

    // No confident first row when the search would abstain: a plain line first, the closest
    // articles under it, and the ways to a person last. Only articles are options (arrow keys).
    function noMatchNote(closest) {
      var li = document.createElement("li");
      li.className = "suggestion-note";
      li.setAttribute("role", "presentation");
      li.textContent = closest
        ? "딱 맞는 답변을 찾지 못했어요. 가장 가까운 도움말:"
        : "딱 맞는 답변을 찾지 못했어요.";
      return li;
    }

    function peopleRow() {
      var li = document.createElement("li");
      li.className = "suggestion-people";
      li.setAttribute("role", "presentation");
      PEOPLE.forEach(function (entry) {
        var link = document.createElement("a");
        link.href = entry[0];
        link.tabIndex = -1;
        link.textContent = entry[1];
        li.appendChild(link);
      });
      return li;
    }

    function render(items, noMatch) {
      list.textContent = "";
      list.classList.toggle("suggestions-no-match", Boolean(noMatch));
      if (noMatch) {
        list.appendChild(noMatchNote(items.length > 0));
      }
      items.forEach(function (item, index) {
        list.appendChild(option(item, index));
      });
      if (noMatch) {
        list.appendChild(peopleRow());
      }
      active = -1;
      if (items.length || noMatch) {
        open();
      } else {
        close();
      }
    }

    function lookup() {
      var query = input.value.trim();
      if (query === shownFor) {
        return;
      }
      shownFor = query;
      if (controller) {
        controller.abort();
      }
      if (!query || query.length > MAX_QUERY) {
        render([]);
        return;
      }
      controller = new AbortController();
      var mine = (sequence += 1);
      fetch(endpoint + "?limit=8&q=" + encodeURIComponent(query), {
        signal: controller.signal,
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [], no_match: false };
        })
        .then(function (body) {
          if (mine === sequence) {
            render(body.suggestions || [], body.no_match === true);
          }
        })
        .catch(function () {
          /* aborted or offline: the search button still works */
        });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookup, DEBOUNCE_MS);
    }

    function move(step) {
      var count = options().length;
      if (!count) {
        return;
      }
      open();
      var next = active + step;
      if (next < -1) {
        next = count - 1;
      } else if (next >= count) {
        next = -1;
      }
      highlight(next);
    }

    function onKeydown(event) {
      if (event.isComposing || event.keyCode === 229) {
        return;
      }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        move(1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        move(-1);
      } else if (event.key === "Escape") {
        close();
      } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
        var link = options()[active].querySelector("a");
        if (link) {
          event.preventDefault();
          window.location.assign(link.href);
        }
      }
    }

    input.addEventListener("input", schedule);
    input.addEventListener("compositionend", schedule);
    input.addEventListener("keydown", onKeydown);
    input.addEventListener("focus", function () {
      if (list.firstChild && input.value.trim() === shownFor) {
        open();
      }
    });
    input.addEventListener("blur", close);
    // Keep focus in the box while a suggestion is pressed, so the click lands on the link.
    list.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
  }

  var inputs = document.querySelectorAll("input[data-suggest]");
  for (var i = 0; i < inputs.length; i += 1) {
    setup(inputs[i]);
  }
})();
