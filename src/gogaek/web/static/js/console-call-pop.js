/* Screen-pop for phone calls in the agent console (docs/phone-cti.md). console-chat.js receives
 * the call_ringing / call_answered frames on the agent socket and hands them over as a
 * "gogaek:call" event; this draws who is calling before the agent says a word: the matched
 * customer (number masked), when they were verified, and their recent inquiries. Needs
 * chat-client.js (for el and clock) and console-chat.js (for the page's words) first.
 */
(function () {
  "use strict";

  // The console's words in the page's language (console-chat.js, loaded first, defines it).
  var t = window.GogaekConsoleText;

  var box = document.getElementById("call-pop");
  if (!box || !window.GogaekChatClient || !t) {
    return;
  }
  var el = window.GogaekChatClient.el;
  var clock = window.GogaekChatClient.clock;
  var HEADINGS = { call_ringing: t("전화 수신 중"), call_answered: t("통화 중") };

  function caller(call) {
    if (call.customer) {
      var verified = call.customer.verified_at ? t("본인인증") + " " + call.customer.verified_at.slice(0, 10) + " " + clock(call.customer.verified_at) : t("본인인증 기록 없음");
      return [el("strong", {}, call.customer.name || t("이름 없는 고객")), " " + (call.customer.phone || ""), el("span", { class: "badge" }, verified)];
    }
    if (call.matches > 1) {
      return [el("strong", {}, t("같은 번호의 고객이 여러 명입니다")), " (" + call.from + ") — " + t("본인 확인 후 문의를 골라 주세요.")];
    }
    return [el("strong", {}, t("등록되지 않은 번호")), " " + call.from];
  }

  function history(call) {
    if (!call.recent_inquiries.length) {
      return el("p", { class: "muted small" }, call.customer ? t("최근 문의가 없습니다.") : "");
    }
    return el("ul", { class: "call-pop-inquiries" }, call.recent_inquiries.map(function (inquiry) {
      return el("li", {}, [
        el("a", { href: "/console/inquiries/" + encodeURIComponent(inquiry.id), target: "_blank", rel: "noopener" }, inquiry.number),
        " " + inquiry.title + " ",
        el("span", { class: "badge" }, inquiry.status_label)
      ]);
    }));
  }

  function show(frame) {
    var call = frame.call;
    var close = el("button", { class: "button", type: "button" }, t("닫기"));
    close.addEventListener("click", function () { box.hidden = true; });
    while (box.firstChild) {
      box.removeChild(box.firstChild);
    }
    box.setAttribute("data-call-id", call.call_id);
    box.setAttribute("data-state", frame.type);
    box.appendChild(el("h2", {}, (HEADINGS[frame.type] || t("전화")) + (call.queue ? " · " + call.queue : "")));
    box.appendChild(el("p", { class: "call-pop-caller" }, caller(call)));
    box.appendChild(history(call));
    box.appendChild(el("p", {}, close));
    box.hidden = false;
  }

  document.addEventListener("gogaek:call", function (event) { show(event.detail); });
})();
