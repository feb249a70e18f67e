/* Embeddable 채팅 상담 for a host site (docs/chat-widget.md):
 *
 *   <script src="https://<gogaek>/static/js/chat-widget.js" data-gogaek-token="<host JWT>" async></script>
 *
 * Adds a floating "채팅 상담" button; the panel it opens is the same UI as the /chat page
 * (chat-client.js + chat.js, loaded from the Gogaek origin on first open) inside a shadow
 * root, so the host's styles and ours stay apart. It talks to wss://<gogaek>/ws/chat?token=…
 * directly: no iframe and no cookie, so browsers that block third-party cookies work too.
 *
 * window.GogaekChatWidget: open(), close(), setToken(jwt). When the token is refused (expired),
 * the widget fires "gogaek-chat:token-expired" on window; answer with setToken(freshJwt).
 *
 * Language, as on our pages: the token's "locale" claim, then data-gogaek-lang="en" on the tag
 * (the host page's choice), then the browser's languages; Korean otherwise. English words come
 * from /chat/widget-texts.js; if they cannot be loaded the widget stays Korean.
 */
(function () {
  "use strict";

  if (window.GogaekChatWidget) {
    return; // included twice
  }
  var script = document.currentScript || document.querySelector("script[data-gogaek-token]");
  if (!script) {
    return;
  }
  var origin = new URL(script.src, window.location.href).origin;
  var token = script.getAttribute("data-gogaek-token") || "";
  var SPOKEN = ["ko", "en"];
  var language = "ko";
  var texts = {};
  var host = null;
  var panel = null;
  var launcher = null;
  var view = null;
  var loading = null;

  function load(path) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = origin + path;
      tag.async = false;
      tag.onload = resolve;
      tag.onerror = function () { reject(new Error("could not load " + path)); };
      document.head.appendChild(tag);
    });
  }

  function scripts() {
    if (!loading) {
      loading = (window.GogaekChatClient ? Promise.resolve() : load("/static/js/chat-client.js")).then(function () {
        return window.GogaekChat ? null : load("/static/js/chat.js");
      });
    }
    return loading;
  }

  function tokenLocale(jwt) {
    try {
      var payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      var bytes = Uint8Array.from(atob(payload), function (c) { return c.charCodeAt(0); });
      return String(JSON.parse(new TextDecoder().decode(bytes)).locale || "");
    } catch (error) {
      return ""; // not ours to judge: the server checks the token
    }
  }

  function pickLanguage() {
    var candidates = [tokenLocale(token), script.getAttribute("data-gogaek-lang") || ""]
      .concat(Array.prototype.slice.call(navigator.languages || [navigator.language || ""]));
    for (var i = 0; i < candidates.length; i++) {
      var code = String(candidates[i]).toLowerCase().split(/[-_]/)[0];
      if (SPOKEN.indexOf(code) >= 0) {
        return code;
      }
    }
    return "ko";
  }

  function say(key, korean) {
    return texts[key] || korean;
  }

  function node(tag, attrs, text) {
    var element = document.createElement(tag);
    Object.keys(attrs).forEach(function (name) { element.setAttribute(name, attrs[name]); });
    if (text) {
      element.textContent = text;
    }
    return element;
  }

  function build() {
    host = node("div", { id: "gogaek-chat-widget" });
    var shadow = host.attachShadow({ mode: "open" });
    shadow.appendChild(node("link", { rel: "stylesheet", href: origin + "/static/css/chat.css" }));
    var wrapper = node("div", { class: "gcw" });
    var name = say("widget_launcher", "채팅 상담");
    launcher = node("button", { class: "gcw-launcher", type: "button", "aria-expanded": "false" }, name);
    panel = node("div", { class: "gcw-panel", role: "dialog", "aria-label": name, lang: language });
    panel.hidden = true;
    var head = node("div", { class: "gcw-head" });
    head.appendChild(node("strong", {}, say("widget_title", "고객센터 채팅 상담")));
    var close = node("button", { class: "gcw-close", type: "button", "aria-label": say("widget_close", "닫기") }, "✕");
    head.appendChild(close);
    panel.appendChild(head);
    panel.appendChild(node("div", { class: "gcw-body chat-app chat-app-embed" }));
    wrapper.appendChild(panel);
    wrapper.appendChild(launcher);
    shadow.appendChild(wrapper);
    document.body.appendChild(host);
    launcher.addEventListener("click", function () { (panel.hidden ? open : closePanel)(); });
    close.addEventListener("click", closePanel);
  }

  function mount() {
    view = window.GogaekChat.mount(panel.querySelector(".gcw-body"), {
      socket: origin + "/ws/chat",
      query: { token: token, lang: language },
      base: origin,
      texts: texts,
      images: false, // these HTTP calls need the Gogaek session or CORS: see docs/chat-widget.md
      transcript: false,
      onUnauthorized: function () {
        window.dispatchEvent(new CustomEvent("gogaek-chat:token-expired"));
      }
    });
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    if (view) {
      return;
    }
    scripts().then(mount).catch(function () {
      var body = panel.querySelector(".gcw-body");
      body.textContent = say("widget_failed", "채팅을 불러오지 못했습니다. 잠시 후 다시 시도해 주세요.");
    });
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
  }

  function setToken(fresh) {
    token = String(fresh || "");
    if (view) {
      view.client.setQuery("token", token);
      view.client.start();
    }
  }

  function init() {
    language = pickLanguage();
    var words = language === "ko" ? Promise.resolve() : load("/chat/widget-texts.js?lang=" + language);
    var built = words.catch(function () { return null; }).then(function () {
      texts = window.GogaekChatTexts || {};
      build();
    });
    // The host may call these at once: they wait for the panel (and its words) to exist.
    window.GogaekChatWidget = {
      open: function () { built.then(open); },
      close: function () { built.then(closePanel); },
      setToken: setToken
    };
  }

  if (document.body) {
    init();
  } else {
    document.addEventListener("DOMContentLoaded", init);
  }
})();
