/* 채팅 상담 for customers: the /chat page and the embeddable widget (chat-widget.js) mount the
 * same UI with GogaekChat.mount(root, options). All text from the server goes in with
 * textContent. Needs chat-client.js first.
 *
 * options: socket (URL of /ws/chat), query ({token} for the widget), base ("" on our pages,
 * the Gogaek origin in the widget), images / transcript (HTTP features that need our cookie),
 * maxImageBytes, maxText, onUnauthorized.
 */
(function () {
  "use strict";

  var STATUS_TEXT = {
    bot: "챗봇이 답변하고 있어요 (Chatbot)",
    queued: "상담사 연결을 기다리고 있어요 (Waiting for an agent)",
    active: "상담사와 연결되었습니다 (Agent connected)",
    ended: "상담이 종료되었습니다 (Chat ended)"
  };
  var RECEIPT_TEXT = { pending: "보내는 중", sent: "전송됨", delivered: "전달됨", read: "읽음" };
  // The page's own words when it is not Korean: data-texts on the chat root (chat/pages.py),
  // "{name}" for what goes in; the embeddable widget passes its own (mount's options.texts).
  // Korean pages use the words above and below.
  var TEXTS = {};
  // The Korean fallbacks keep an English aside for this file's readers ("연결 중… (Connecting)"); a
  // Korean page shows them without it (English comes from the page's table, TEXTS).
  var GLOSS = /\s*\(([^()\uac00-\ud7a3]*[A-Za-z][^()\uac00-\ud7a3]*)\)\s*$/;

  function t(key, korean, values) {
    var text = TEXTS[key];
    if (!text) {
      return korean.replace(GLOSS, "");
    }
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    return text;
  }

  function statusText(status) {
    return STATUS_TEXT[status] ? t("status_" + status, STATUS_TEXT[status]) : status;
  }

  function receiptText(kind) {
    return t("receipt_" + kind, RECEIPT_TEXT[kind]);
  }
  var TYPING_SEND_MS = 2000;
  var TYPING_SHOW_MS = 5000;
  var STORED_CHAT = "gogaek-chat-conversation"; // this tab's chat: a reload shows it again, ended or not
  var AGENT_WORD = "상담사";

  // The agent's name without the word 상담사, which the page adds itself: "상담사 한결", never
  // "상담사 상담사 한결" (gogaek.identity.naming.bare_agent_name is the same rule).
  function bareAgentName(name) {
    var trimmed = String(name || "").trim();
    var bare = trimmed;
    if (bare.indexOf(AGENT_WORD) === 0) {
      bare = bare.slice(AGENT_WORD.length);
    } else if (bare.length > AGENT_WORD.length && bare.slice(-AGENT_WORD.length) === AGENT_WORD) {
      bare = bare.slice(0, -AGENT_WORD.length);
    }
    return bare.trim() || trimmed;
  }

  function storedChat() {
    try {
      return Number(window.sessionStorage.getItem(STORED_CHAT)) || null;
    } catch (error) {
      return null; // storage switched off: every load resumes the open chat instead
    }
  }

  function storeChat(id) {
    try {
      if (id === null) {
        window.sessionStorage.removeItem(STORED_CHAT);
      } else {
        window.sessionStorage.setItem(STORED_CHAT, String(id));
      }
    } catch (error) {
      /* as above */
    }
  }

  wirePrintButton(); // the printable transcript page loads this file for its print button only
  if (!window.GogaekChatClient) {
    return;
  }
  var el = window.GogaekChatClient.el;
  var clock = window.GogaekChatClient.clock;

  function problemText(response) {
    return response.json().then(
      function (body) { return body.detail || body.title || t("request_failed", "요청을 처리하지 못했습니다."); },
      function () { return t("request_failed", "요청을 처리하지 못했습니다.") + " (HTTP " + response.status + ")"; }
    );
  }

  function ChatView(root, options) {
    this.root = root;
    this.options = options;
    this.base = options.base || "";
    this.status = null;
    this.conversationId = null;
    this.rated = false;
    this.receipts = { delivered: 0, read: 0 };
    this.readSent = 0;
    this.lastTypingSent = 0;
    this.agentName = "";
    this.build();
    var self = this;
    this.client = new window.GogaekChatClient({
      url: options.socket,
      query: options.query || {},
      resume: true,
      conversation: storedChat(),
      onFrame: function (frame) { self.onFrame(frame); },
      onState: function (state) { self.onState(state); }
    });
    this.client.start();
  }

  ChatView.prototype.postHeaders = function () {
    // The page's session cookie authenticates these calls; the token proves the page sent them.
    var headers = { Accept: "application/json" };
    if (this.options.csrf) {
      headers["X-CSRF-Token"] = this.options.csrf;
    }
    return headers;
  };

  ChatView.prototype.find = function (selector) {
    return this.root.querySelector(selector);
  };

  // --- building the page ----------------------------------------------------------------

  ChatView.prototype.build = function () {
    var o = this.options;
    var self = this;
    var shell = el("div", { class: "chat-shell" }, [
      el("div", { class: "chat-head" }, [
        el("p", { id: "chat-status", class: "chat-status", role: "status" }, t("connecting", "연결 중… (Connecting)")),
        el("button", { id: "chat-end", class: "button chat-end", type: "button", hidden: true }, t("end", "상담 종료"))
      ]),
      el("p", { id: "chat-connection", class: "chat-connection", hidden: true }),
      el("p", { id: "chat-queue", class: "chat-queue", role: "status", hidden: true }),
      el("ol", { id: "chat-log", class: "chat-log", "aria-live": "polite" }),
      el("p", { id: "chat-typing", class: "chat-typing", hidden: true }, t("typing", "상담사가 입력 중… (typing)")),
      el("p", { id: "chat-error", class: "chat-error", role: "alert", hidden: true }),
      this.buildRating(),
      el("form", { id: "chat-form", class: "chat-compose" }, [
        o.images ? el("label", { class: "button chat-attach", title: t("send_image", "이미지 보내기 (Send an image)") }, [
          el("span", { "aria-hidden": "true" }, "＋"),
          el("span", { class: "visually-hidden" }, t("send_image", "이미지 보내기")),
          el("input", { id: "chat-image", type: "file", accept: "image/jpeg,image/png,image/gif,image/webp", class: "visually-hidden" })
        ]) : null,
        el("textarea", {
          id: "chat-input", class: "chat-input", rows: "1", maxlength: o.maxText || 2000,
          placeholder: t("placeholder", "메시지를 입력하세요"), "aria-label": t("message", "메시지 (Message)")
        }),
        el("button", { id: "chat-send", class: "button button-primary chat-send", type: "submit" }, t("send", "보내기"))
      ]),
      el("div", { class: "chat-tools" }, [
        el("button", { id: "chat-handoff", class: "button chat-handoff", type: "button", hidden: true }, t("handoff", "상담원 연결")),
        el("button", { id: "chat-new", class: "button button-primary", type: "button", hidden: true }, t("new_chat", "새 상담 시작")),
        o.transcript ? el("span", { id: "chat-keep", class: "chat-keep", hidden: true }, [
          el("a", { id: "chat-transcript-link", target: "_blank", rel: "noopener" }, t("transcript", "대화 내용 보기·인쇄")),
          el("a", { id: "chat-download-link", download: "" }, t("download", "텍스트로 저장")),
          el("button", { id: "chat-email", class: "link-button", type: "button" }, t("email", "이메일로 받기"))
        ]) : null
      ])
    ]);
    this.root.appendChild(shell);
    this.log = this.find("#chat-log");
    this.input = this.find("#chat-input");
    this.find("#chat-form").addEventListener("submit", function (event) {
      event.preventDefault();
      self.sendText(self.input.value);
    });
    this.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        self.sendText(self.input.value);
      }
    });
    this.input.addEventListener("input", function () { self.typing(); });
    this.find("#chat-handoff").addEventListener("click", function () { self.client.send({ type: "handoff" }); });
    this.find("#chat-end").addEventListener("click", function () {
      if (window.confirm(t("confirm_end", "상담을 종료할까요? (End this chat?)"))) {
        self.client.send({ type: "end" });
      }
    });
    this.find("#chat-new").addEventListener("click", function () { self.startNew(); });
    if (o.images) {
      this.find("#chat-image").addEventListener("change", function (event) { self.sendImage(event.target); });
    }
    if (o.transcript) {
      this.find("#chat-email").addEventListener("click", function () { self.emailTranscript(); });
    }
    document.addEventListener("visibilitychange", function () { self.markRead(); });
  };

  ChatView.prototype.buildRating = function () {
    var self = this;
    var stars = [];
    for (var score = 1; score <= 5; score += 1) {
      stars.push(el("button", {
        class: "chat-star", type: "button", "data-score": score, "aria-pressed": "false",
        "aria-label": t("star", score + "점", { n: score })
      }, "★"));
    }
    var section = el("section", { id: "chat-rating", class: "chat-rating", hidden: true }, [
      el("h2", {}, t("rating_title", "상담은 어떠셨나요? (How was this chat?)")),
      el("div", { class: "chat-stars", role: "group", "aria-label": t("stars", "별점 (1–5)") }, stars),
      el("textarea", {
        id: "chat-rating-comment", rows: "2", maxlength: "1000",
        placeholder: t("comment_placeholder", "남기고 싶은 말씀 (선택) (Comment, optional)"), "aria-label": t("comment", "의견")
      }),
      el("button", { id: "chat-rating-submit", class: "button button-primary", type: "button", disabled: true }, t("rating_submit", "평가 보내기"))
    ]);
    var rated = el("p", { id: "chat-rated", class: "chat-rated", role: "status", hidden: true });
    stars.forEach(function (star) {
      star.addEventListener("click", function () { self.pickScore(Number(star.getAttribute("data-score"))); });
    });
    section.querySelector("#chat-rating-submit").addEventListener("click", function () { self.sendRating(); });
    return el("div", {}, [section, rated]);
  };

  // --- frames from the server -------------------------------------------------------------

  ChatView.prototype.onState = function (state) {
    var note = this.find("#chat-connection");
    if (state === "open") {
      note.hidden = true;
    } else if (state === "waiting") {
      note.hidden = false;
      note.textContent = t("reconnecting", "연결이 끊겼습니다. 다시 연결하는 중… (Reconnecting)");
    } else if (state === "forbidden" && this.conversationId === null) {
      this.startNew(); // the remembered chat belongs to whoever used this tab before
    } else if (state === "unauthorized" || state === "forbidden") {
      note.hidden = false;
      note.textContent = t("sign_in_again", "로그인이 필요합니다. 다시 로그인해 주세요. (Please sign in again.)");
      if (this.options.onUnauthorized) {
        this.options.onUnauthorized(this);
      } else {
        note.appendChild(document.createTextNode(" "));
        var here = window.location.pathname + window.location.search;
        note.appendChild(el("a", { href: "/auth/login?next=" + encodeURIComponent(here) }, t("sign_in", "로그인")));
      }
    }
  };

  ChatView.prototype.onFrame = function (frame) {
    var handler = {
      hello: this.onHello,
      message: this.onMessage,
      status: this.onStatus,
      queue: this.onQueue,
      typing: this.onTyping,
      delivered: this.onReceipt,
      read: this.onReceipt,
      rated: this.onRated,
      feedback_recorded: this.onFeedbackRecorded,
      send_failed: this.onSendFailed,
      error: this.onError
    }[frame.type];
    if (handler) {
      handler.call(this, frame);
    }
  };

  ChatView.prototype.onHello = function (frame) {
    var conversation = frame.conversation;
    if (this.conversationId !== null && this.conversationId !== conversation.id) {
      this.clearLog();
    }
    this.conversationId = conversation.id;
    storeChat(conversation.id);
    this.rated = conversation.rating !== null && conversation.rating !== undefined;
    if (this.options.transcript) {
      var id = encodeURIComponent(conversation.id);
      this.find("#chat-transcript-link").href = this.base + "/chat/" + id + "/transcript";
      this.find("#chat-download-link").href = this.base + "/api/v1/chat/conversations/" + id + "/transcript.txt";
      this.find("#chat-keep").hidden = false;
    }
    this.setStatus(conversation.status);
    if (this.rated) {
      this.showRated(conversation.rating);
    }
  };

  ChatView.prototype.onMessage = function (frame) {
    var item = this.renderMessage(frame);
    var pending = frame.client_msg_id ? this.pendingItem(frame.client_msg_id) : null;
    if (pending) {
      pending.parentNode.removeChild(pending);
    }
    this.place(item, frame.seq);
    if (frame.sender === "agent") {
      this.agentName = frame.agent_name || this.agentName;
      this.find("#chat-typing").hidden = true;
      this.showStatusText();
    }
    if (frame.rating_requested && this.status === "ended" && !this.rated) {
      this.find("#chat-rating").hidden = false;
    }
    if (frame.sender !== "customer") {
      this.markRead();
    }
    this.scrollDown();
  };

  ChatView.prototype.onStatus = function (frame) {
    if (frame.agent_name) {
      this.agentName = frame.agent_name;
    }
    this.setStatus(frame.status);
  };

  ChatView.prototype.onQueue = function (frame) {
    if (this.status !== "queued") {
      return;
    }
    var box = this.find("#chat-queue");
    var minutes = Math.max(1, Math.ceil(frame.eta_seconds / 60));
    var text = "대기 순서 " + frame.position + "번째";
    if (frame.eta_seconds === null || frame.eta_seconds === undefined) {
      text += " · 곧 상담사가 연결됩니다";
    } else {
      text += " · 약 " + minutes + "분";
    }
    text += " (Queue position " + frame.position + ")";
    if (TEXTS.queue) {
      var soon = frame.eta_seconds === null || frame.eta_seconds === undefined;
      text = t("queue", "", { n: frame.position }) + " · " + (soon ? t("queue_soon", "") : t("queue_eta", "", { m: minutes }));
    }
    box.textContent = text;
    box.hidden = false;
  };

  ChatView.prototype.onTyping = function (frame) {
    if (frame.by !== "agent") {
      return;
    }
    var note = this.find("#chat-typing");
    note.hidden = false;
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(function () { note.hidden = true; }, TYPING_SHOW_MS);
  };

  ChatView.prototype.onReceipt = function (frame) {
    if (frame.by !== "agent") {
      return;
    }
    var kind = frame.type;
    this.receipts[kind] = Math.max(this.receipts[kind], frame.seq);
    if (kind === "read") {
      this.receipts.delivered = Math.max(this.receipts.delivered, frame.seq);
    }
    this.refreshReceipts();
  };

  ChatView.prototype.onRated = function (frame) {
    this.showRated(frame.score);
  };

  ChatView.prototype.onFeedbackRecorded = function (frame) {
    var groups = this.log.querySelectorAll('.chat-feedback[data-article-id="' + Number(frame.article_id) + '"]');
    Array.prototype.forEach.call(groups, function (group) {
      group.textContent = t("feedback_thanks", "의견 감사합니다. (Thanks for your feedback.)");
    });
  };

  ChatView.prototype.onSendFailed = function (frame) {
    var item = this.pendingItem(frame.client_msg_id);
    if (item) {
      item.classList.add("chat-msg-failed");
      item.querySelector(".chat-receipt").textContent = t("not_sent", "보내지 못함");
    }
  };

  ChatView.prototype.onError = function (frame) {
    if (frame.code === "rate_limited") {
      return; // the client sends again by itself
    }
    if (frame.code === "already_rated") {
      this.showRated(null);
      return;
    }
    this.showError(frame.message || t("request_failed", "요청을 처리하지 못했습니다."));
  };

  // --- rendering --------------------------------------------------------------------------

  ChatView.prototype.clearLog = function () {
    while (this.log.firstChild) {
      this.log.removeChild(this.log.firstChild);
    }
    this.receipts = { delivered: 0, read: 0 };
    this.readSent = 0;
    this.rated = false;
    this.find("#chat-rating").hidden = true;
    this.find("#chat-rated").hidden = true;
  };

  ChatView.prototype.renderMessage = function (frame) {
    var item = el("li", {
      class: "chat-msg chat-msg-" + frame.sender + (frame.idle_warning ? " chat-msg-warning" : ""),
      "data-seq": frame.seq,
      "data-sender": frame.sender,
      "data-client-msg-id": frame.client_msg_id || null
    });
    if (frame.sender === "agent" && frame.agent_name) {
      item.appendChild(el("span", { class: "chat-who" }, t("agent", "상담사 " + bareAgentName(frame.agent_name), { name: bareAgentName(frame.agent_name) })));
    } else if (frame.sender === "bot") {
      item.appendChild(el("span", { class: "chat-who" }, t("bot", "챗봇")));
    }
    var bubble = el("div", { class: "chat-bubble" });
    if (frame.text) {
      bubble.appendChild(el("p", { class: "chat-text" }, frame.text));
    }
    if (frame.image) {
      bubble.appendChild(this.renderImage(frame.image));
    }
    if (frame.inquiry) {
      bubble.appendChild(this.renderInquiry(frame.inquiry));
    }
    item.appendChild(bubble);
    if (frame.suggestions && frame.suggestions.length) {
      item.appendChild(this.renderSuggestions(frame.suggestions));
    }
    if (frame.buttons && frame.buttons.length) {
      item.appendChild(this.renderButtons(frame));
    }
    if (frame.options && frame.options.length) {
      item.appendChild(this.renderOptions(frame.options));
    }
    var meta = el("span", { class: "chat-meta" }, clock(frame.created_at));
    if (frame.sender === "customer") {
      meta.appendChild(el("span", { class: "chat-receipt" }, receiptText("sent")));
    }
    item.appendChild(meta);
    if (frame.sender === "customer") {
      this.applyReceipt(item);
    }
    return item;
  };

  ChatView.prototype.renderImage = function (image) {
    if (!this.options.images) {
      return el("p", { class: "chat-image-name" }, t("image", "[이미지] " + image.name, { name: image.name }));
    }
    var url = this.base + image.url;
    return el("a", { class: "chat-image", href: url, target: "_blank", rel: "noopener" }, [
      el("img", { src: url, alt: image.name, loading: "lazy" })
    ]);
  };

  ChatView.prototype.renderInquiry = function (inquiry) {
    var line = el("p", { class: "chat-inquiry" }, [
      t("inquiry_number", "문의번호") + " ", el("strong", { class: "chat-inquiry-number" }, String(inquiry.number))
    ]);
    if (this.options.transcript) {
      line.appendChild(document.createTextNode(" · "));
      line.appendChild(el("a", { href: this.base + "/inquiries/" + encodeURIComponent(inquiry.id) }, t("view_inquiry", "문의 내역에서 보기")));
    }
    return line;
  };

  ChatView.prototype.articleUrl = function (articleId) {
    return this.base + "/articles/" + encodeURIComponent(articleId);
  };

  ChatView.prototype.renderSuggestions = function (suggestions) {
    var self = this;
    var list = el("ul", { class: "chat-suggestions", "aria-label": t("suggestions", "이런 질문을 찾으셨나요?") });
    suggestions.forEach(function (suggestion) {
      var ask = el("button", { class: "chat-suggestion", type: "button" }, suggestion.title);
      ask.addEventListener("click", function () { self.sendText(suggestion.title); });
      list.appendChild(el("li", {}, [
        ask,
        el("a", {
          class: "chat-suggestion-link", href: self.articleUrl(suggestion.article_id), target: "_blank", rel: "noopener",
          "aria-label": t("open_article", suggestion.title + " 도움말 열기", { title: suggestion.title })
        }, t("article", "도움말 ↗"))
      ]));
    });
    return list;
  };

  ChatView.prototype.renderButtons = function (frame) {
    var self = this;
    var row = el("div", { class: "chat-actions" });
    var feedback = null;
    var suggested = (frame.suggestions || []).map(function (s) { return s.article_id; });
    frame.buttons.forEach(function (button) {
      var articleId = button.article_id || frame.article_id;
      if (button.action === "helpful" || button.action === "not_helpful") {
        if (!feedback) {
          // The answer's text asks "도움이 되었나요?"; these are its two answers.
          feedback = el("div", { class: "chat-feedback", "data-article-id": articleId });
          row.appendChild(feedback);
        }
        var helpful = button.action === "helpful";
        var vote = el("button", { class: "button chat-vote", type: "button", "data-helpful": helpful ? "yes" : "no" }, button.label);
        vote.addEventListener("click", function () {
          Array.prototype.forEach.call(vote.parentNode.querySelectorAll("button"), function (b) { b.disabled = true; });
          self.client.send({ type: "feedback", article_id: Number(articleId), helpful: helpful });
        });
        feedback.appendChild(vote);
      } else if (button.action === "article" && articleId && suggested.indexOf(articleId) < 0) {
        row.appendChild(el("a", {
          class: "button chat-article-link", href: self.articleUrl(articleId), target: "_blank", rel: "noopener"
        }, button.label));
      } else if (button.action === "handoff") {
        var handoff = el("button", { class: "button chat-handoff-inline", type: "button" }, button.label);
        handoff.addEventListener("click", function () { self.client.send({ type: "handoff" }); });
        row.appendChild(handoff);
      }
    });
    return row;
  };

  /* The offline offer: every option we know is a button or link; unknown actions are skipped. */
  ChatView.prototype.renderOptions = function (options) {
    var self = this;
    var box = el("div", { class: "chat-options" });
    options.forEach(function (option) {
      if (option.action === "leave_inquiry") {
        var button = el("button", { class: "button button-primary chat-option", type: "button", "data-action": "leave_inquiry" }, option.label);
        button.addEventListener("click", function () {
          button.disabled = true;
          self.client.send({ type: "leave_inquiry" });
        });
        box.appendChild(el("div", { class: "chat-option-row" }, [
          button, option.detail ? el("p", { class: "chat-option-detail" }, option.detail) : null
        ]));
      } else if (option.action === "book_callback" && /^\/[^/]/.test(option.url || "")) {
        box.appendChild(el("div", { class: "chat-option-row" }, [
          el("a", {
            class: "button chat-option chat-option-callback", "data-action": "book_callback",
            href: self.base + option.url, target: "_top"
          }, option.label),
          option.detail ? el("p", { class: "chat-option-detail" }, option.detail) : null
        ]));
      } else if (option.action === "call" && option.phone) {
        box.appendChild(el("div", { class: "chat-option-row" }, [
          el("a", {
            class: "button chat-option chat-option-call", "data-action": "call",
            href: "tel:" + String(option.phone).replace(/[^0-9+]/g, "")
          }, option.label + " " + option.phone),
          option.hours ? el("p", { class: "chat-option-detail" }, t("hours", "운영시간 " + option.hours, { hours: option.hours })) : null
        ]));
      }
    });
    return box;
  };

  ChatView.prototype.pendingItem = function (clientMsgId) {
    var items = this.log.querySelectorAll("li.chat-msg-pending");
    for (var i = 0; i < items.length; i += 1) {
      if (items[i].getAttribute("data-client-msg-id") === clientMsgId) {
        return items[i];
      }
    }
    return null;
  };

  /* In seq order; unsent messages stay at the bottom. */
  ChatView.prototype.place = function (item, seq) {
    var children = this.log.children;
    for (var i = 0; i < children.length; i += 1) {
      var other = children[i];
      if (other.classList.contains("chat-msg-pending") || Number(other.getAttribute("data-seq")) > seq) {
        this.log.insertBefore(item, other);
        return;
      }
    }
    this.log.appendChild(item);
  };

  ChatView.prototype.addPending = function (clientMsgId, text) {
    var item = el("li", {
      class: "chat-msg chat-msg-customer chat-msg-pending", "data-sender": "customer", "data-client-msg-id": clientMsgId
    }, [
      el("div", { class: "chat-bubble" }, [el("p", { class: "chat-text" }, text)]),
      el("span", { class: "chat-meta" }, [clock(null), el("span", { class: "chat-receipt" }, receiptText("pending"))])
    ]);
    this.log.appendChild(item);
    this.scrollDown();
    return item;
  };

  ChatView.prototype.applyReceipt = function (item) {
    var seq = Number(item.getAttribute("data-seq"));
    var mark = item.querySelector(".chat-receipt");
    var kind = seq <= this.receipts.read ? "read" : seq <= this.receipts.delivered ? "delivered" : "sent";
    mark.textContent = receiptText(kind);
    mark.setAttribute("data-receipt", kind);
  };

  ChatView.prototype.refreshReceipts = function () {
    var items = this.log.querySelectorAll("li.chat-msg-customer:not(.chat-msg-pending)");
    Array.prototype.forEach.call(items, this.applyReceipt, this);
  };

  ChatView.prototype.scrollDown = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  ChatView.prototype.setStatus = function (status) {
    this.status = status;
    var open = status !== "ended";
    this.showStatusText();
    this.find("#chat-queue").hidden = status !== "queued";
    this.find("#chat-handoff").hidden = status !== "bot";
    this.find("#chat-end").hidden = !open;
    this.find("#chat-new").hidden = open;
    this.find("#chat-form").hidden = !open;
    if (!open) {
      this.find("#chat-typing").hidden = true;
      this.find("#chat-rating").hidden = this.rated;
      this.client.failAll();
    }
  };

  ChatView.prototype.showStatusText = function () {
    var line = this.find("#chat-status");
    var text = statusText(this.status);
    if (this.status === "active" && this.agentName) {
      text = t("chatting_with", bareAgentName(this.agentName) + " 상담사와 상담 중입니다 (Chatting with an agent)",
        { name: bareAgentName(this.agentName) });
    }
    line.textContent = text;
    line.setAttribute("data-status", this.status);
  };

  ChatView.prototype.showError = function (text) {
    var box = this.find("#chat-error");
    box.textContent = text;
    box.hidden = false;
    window.clearTimeout(this.errorTimer);
    this.errorTimer = window.setTimeout(function () { box.hidden = true; }, 8000);
  };

  // --- what the customer does -------------------------------------------------------------

  ChatView.prototype.sendText = function (raw) {
    var text = String(raw || "").trim();
    if (!text || this.status === "ended") {
      return;
    }
    var id = window.GogaekChatClient.newId();
    this.addPending(id, text);
    this.client.sendMessage({ type: "message", text: text, client_msg_id: id });
    if (raw === this.input.value) {
      this.input.value = "";
    }
    this.input.focus();
  };

  ChatView.prototype.typing = function () {
    var now = Date.now();
    if (this.status === "active" && now - this.lastTypingSent > TYPING_SEND_MS) {
      this.lastTypingSent = now;
      this.client.send({ type: "typing" });
    }
  };

  ChatView.prototype.markRead = function () {
    if (document.visibilityState !== "visible" || this.conversationId === null) {
      return;
    }
    var last = this.client.lastSeq[this.conversationId] || 0;
    if (last > this.readSent && this.client.send({ type: "read", seq: last })) {
      this.readSent = last;
    }
  };

  ChatView.prototype.sendImage = function (input) {
    var file = input.files && input.files[0];
    input.value = "";
    if (!file || this.conversationId === null) {
      return;
    }
    if (this.options.maxImageBytes && file.size > this.options.maxImageBytes) {
      var mb = Math.floor(this.options.maxImageBytes / 1048576);
      this.showError(t("too_large", "파일이 너무 큽니다. " + mb + "MB까지 보낼 수 있어요. (File too large)", { mb: mb }));
      return;
    }
    var self = this;
    var id = window.GogaekChatClient.newId();
    var item = this.addPending(id, t("sending_image", "이미지 보내는 중… (" + file.name + ")", { name: file.name }));
    var body = new FormData();
    body.append("file", file);
    body.append("client_msg_id", id);
    fetch(this.base + "/api/v1/chat/conversations/" + encodeURIComponent(this.conversationId) + "/images", {
      method: "POST", body: body, credentials: "same-origin", headers: this.postHeaders()
    }).then(function (response) {
      if (response.ok) {
        return null; // the socket brings the stored message (or the replay does, after a reconnect)
      }
      return problemText(response).then(function (text) {
        if (item.parentNode) {
          item.parentNode.removeChild(item);
        }
        self.showError(text);
      });
    }).catch(function () {
      self.onSendFailed({ client_msg_id: id });
    });
  };

  ChatView.prototype.emailTranscript = function () {
    var self = this;
    var button = this.find("#chat-email");
    button.disabled = true;
    fetch(this.base + "/api/v1/chat/conversations/" + encodeURIComponent(this.conversationId) + "/transcript/email", {
      method: "POST", credentials: "same-origin", headers: this.postHeaders()
    }).then(function (response) {
      if (!response.ok) {
        return problemText(response).then(function (text) { self.showError(text); });
      }
      return response.json().then(function (body) {
        button.textContent = t("emailed", body.to + " 주소로 보냈습니다 (Sent)", { to: body.to });
      });
    }).catch(function () {
      self.showError(t("email_failed", "보내지 못했습니다. 잠시 후 다시 시도해 주세요. (Could not send)"));
    }).then(function () { button.disabled = false; });
  };

  ChatView.prototype.pickScore = function (score) {
    this.score = score;
    Array.prototype.forEach.call(this.root.querySelectorAll(".chat-star"), function (star) {
      var on = Number(star.getAttribute("data-score")) <= score;
      star.classList.toggle("chat-star-on", on);
      star.setAttribute("aria-pressed", on ? "true" : "false");
    });
    this.find("#chat-rating-submit").disabled = false;
  };

  ChatView.prototype.sendRating = function () {
    if (!this.score) {
      return;
    }
    var comment = this.find("#chat-rating-comment").value.trim();
    var frame = { type: "rate", score: this.score };
    if (comment) {
      frame.comment = comment;
    }
    if (this.client.send(frame)) {
      this.find("#chat-rating-submit").disabled = true;
    } else {
      this.showError(t("not_connected", "연결이 끊겼습니다. 잠시 후 다시 눌러 주세요. (Not connected)"));
    }
  };

  ChatView.prototype.showRated = function (score) {
    this.rated = true;
    this.find("#chat-rating").hidden = true;
    var note = this.find("#chat-rated");
    var stars = score ? " (★" + score + ")" : "";
    note.textContent = TEXTS.rated ? t("rated", "") + stars : "평가해 주셔서 감사합니다." + stars;
    note.hidden = false;
  };

  ChatView.prototype.startNew = function () {
    this.clearLog();
    this.conversationId = null;
    storeChat(null);
    this.find("#chat-status").textContent = t("connecting", "연결 중… (Connecting)");
    this.client.restart();
  };

  // --- mounting ---------------------------------------------------------------------------

  function mount(root, options) {
    if (options.texts) {
      TEXTS = options.texts; // the widget's table for its language (chat/widget-texts.js)
    }
    return new ChatView(root, options);
  }

  function wirePrintButton() {
    var button = document.querySelector("body.page-transcript #print-button");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    }
  }

  window.GogaekChat = { mount: mount, bareAgentName: bareAgentName };

  var page = document.querySelector("[data-gogaek-chat]");
  if (page) {
    try {
      TEXTS = JSON.parse(page.getAttribute("data-texts") || "{}") || {};
    } catch (error) {
      TEXTS = {}; // Korean, as built in
    }
    mount(page, {
      socket: page.getAttribute("data-socket") || "/ws/chat",
      images: page.getAttribute("data-images") === "1",
      transcript: page.getAttribute("data-transcript") === "1",
      maxImageBytes: Number(page.getAttribute("data-max-image-bytes")) || 0,
      maxText: Number(page.getAttribute("data-max-text")) || 2000,
      csrf: page.getAttribute("data-csrf") || ""
    });
  }
})();
