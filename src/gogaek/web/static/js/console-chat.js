/* 채팅 상담 in the agent console (/console/chats). One socket to /ws/agent carries every chat:
 * the queue with 수락 buttons, one tab per chat with its handover context (the bot part of the
 * transcript, the customer, recent inquiries), replies, internal notes, canned replies,
 * typing and read receipts, transfer and end. Supervisors also see the live view (refreshed
 * from /console/chats/live) and can open any chat with 보기. Needs chat-client.js first,
 * except on the standalone live page where only the refresh runs.
 */
(function () {
  "use strict";

  // English pages carry a table of these Korean strings (console/_chat_strings.html); Korean ones do not.
  var STRINGS = (function () {
    var node = document.getElementById("console-strings");
    try {
      return node ? JSON.parse(node.textContent) : {};
    } catch (error) {
      return {};
    }
  })();
  // A Korean page drops the English a message carries in brackets ("통화 중 (On the call)").
  var GLOSS = /\s*\(([^()\uac00-\ud7a3]*[A-Za-z][^()\uac00-\ud7a3]*)\)\s*$/;
  function t(text, values) {
    var out = STRINGS[text] || (document.documentElement.lang === "ko" ? text.replace(GLOSS, "") : text);
    Object.keys(values || {}).forEach(function (key) {
      out = out.split("%(" + key + ")s").join(String(values[key]));
    });
    return out;
  }
  window.GogaekConsoleText = t; // console-call-pop.js, loaded after this script, speaks through it

  var LIVE_REFRESH_MS = 15000;
  var TYPING_SEND_MS = 2000;
  var TYPING_SHOW_MS = 5000;
  var STATUS_LABELS = { bot: t("챗봇 응대"), queued: t("대기열로 이동"), active: t("상담 중"), ended: t("종료") };
  var SENDER_LABELS = { customer: t("고객"), bot: t("챗봇"), agent: t("상담사"), system: t("안내") };

  function refreshLive() {
    var section = document.getElementById("chat-live");
    if (!section || document.visibilityState !== "visible") {
      return;
    }
    fetch(section.getAttribute("data-live-url"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById("chat-live");
        if (fresh) {
          section.parentNode.replaceChild(document.importNode(fresh, true), section);
        }
      })
      .catch(function () { /* a missed refresh is retried on the next tick */ });
  }

  if (document.getElementById("chat-live")) {
    window.setInterval(refreshLive, LIVE_REFRESH_MS);
  }
  var root = document.getElementById("chat-console");
  if (!root || !window.GogaekChatClient) {
    return;
  }

  var el = window.GogaekChatClient.el;
  var clock = window.GogaekChatClient.clock;
  var me = {
    id: Number(root.getAttribute("data-agent-id")),
    name: root.getAttribute("data-agent-name"),
    bareName: root.getAttribute("data-agent-bare-name") // {상담사명}: the name without the word 상담사
  };
  var supervisor = root.getAttribute("data-supervisor") === "1";
  var template = document.getElementById("chat-pane-template");
  var tabsNav = document.getElementById("chat-tabs");
  var panes = document.getElementById("chat-panes");
  var chats = {}; // conversation id → {id, pane, tab, status, mine, customerName, receipts, readSent, typingSent}
  var active = null;
  var client;

  function teamName(teamId) {
    var option = template.content.querySelector('.chat-transfer-team option[value="' + Number(teamId) + '"]');
    return option ? option.textContent : t("공통 대기열");
  }

  // --- the queue --------------------------------------------------------------------------

  function renderQueue(frame) {
    var list = document.getElementById("chat-queue-list");
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    frame.waiting.forEach(function (waiting) {
      var minutes = waiting.queued_at ? Math.max(0, Math.round((Date.now() - Date.parse(waiting.queued_at)) / 60000)) : 0;
      var accept = el("button", { class: "button button-primary chat-accept", type: "button" }, t("수락"));
      accept.addEventListener("click", function () {
        accept.disabled = true;
        client.send({ type: "accept", conversation: waiting.conversation });
      });
      list.appendChild(el("li", { "data-conversation": waiting.conversation, class: waiting.is_emergency ? "chat-queue-emergency" : null }, [
        el("div", { class: "chat-queue-head" }, [
          el("strong", {}, "#" + waiting.conversation),
          waiting.is_emergency ? el("span", { class: "badge chat-badge-emergency" }, t("긴급")) : null,
          el("span", { class: "muted small" }, teamName(waiting.team_id) + " · " + t("%(num)s분 대기", { num: minutes }))
        ]),
        waiting.preview ? el("p", { class: "chat-queue-preview" }, waiting.preview) : null,
        accept
      ]));
    });
    document.getElementById("chat-queue-count").textContent = String(frame.length);
    document.getElementById("chat-queue-empty").hidden = frame.length > 0;
  }

  // --- tabs -------------------------------------------------------------------------------

  /* A chat's tab, made on first sight: its history counts from seq 0 then, whatever the socket saw. */
  function openChat(id, mine) {
    var chat = chats[id];
    if (chat) {
      chat.mine = chat.mine || mine;
      return chat;
    }
    client.forget(id);
    var pane = template.content.firstElementChild.cloneNode(true);
    pane.setAttribute("data-conversation", id);
    pane.hidden = true;
    var tab = el("button", { class: "chat-tab", type: "button", "data-conversation": id }, [
      el("span", { class: "chat-tab-name" }, "#" + id),
      el("span", { class: "chat-tab-unread", hidden: true, "aria-label": t("새 메시지") }, "●")
    ]);
    chat = { id: id, pane: pane, tab: tab, status: null, mine: mine, customerName: "", receipts: { delivered: 0, read: 0 }, readSent: 0, typingSent: 0 };
    chats[id] = chat;
    tab.addEventListener("click", function () { activate(id); });
    wirePane(chat);
    tabsNav.appendChild(tab);
    panes.appendChild(pane);
    document.getElementById("chat-no-tabs").hidden = true;
    if (active === null) {
      activate(id);
    }
    return chat;
  }

  function activate(id) {
    Object.keys(chats).forEach(function (key) {
      var chat = chats[key];
      var on = Number(key) === Number(id);
      chat.pane.hidden = !on;
      chat.tab.classList.toggle("chat-tab-active", on);
      chat.tab.setAttribute("aria-current", on ? "true" : "false");
    });
    active = Number(id);
    chats[id].tab.querySelector(".chat-tab-unread").hidden = true;
    markRead(chats[id]);
    scrollDown(chats[id]);
  }

  function closeChat(chat) {
    chat.tab.parentNode.removeChild(chat.tab);
    chat.pane.parentNode.removeChild(chat.pane);
    delete chats[chat.id];
    client.forget(chat.id);
    var rest = Object.keys(chats);
    active = null;
    if (rest.length) {
      activate(rest[0]);
    }
    document.getElementById("chat-no-tabs").hidden = rest.length > 0;
  }

  function find(chat, selector) {
    return chat.pane.querySelector(selector);
  }

  function setStatus(chat, status, note) {
    chat.status = status;
    var badge = find(chat, ".chat-pane-status");
    badge.textContent = note || STATUS_LABELS[status] || status;
    badge.setAttribute("data-status", status);
    var open = status === "active" || (status !== "ended" && !chat.mine && supervisor);
    find(chat, ".chat-reply-form").hidden = !open;
    find(chat, ".chat-pane-actions").querySelectorAll("select, button").forEach(function (control) {
      if (!control.classList.contains("chat-close")) {
        control.disabled = status === "ended" || (status !== "active" && chat.mine);
      }
    });
    find(chat, ".chat-close").hidden = status === "active" && chat.mine;
    var noteOnly = !chat.mine;
    var toggle = find(chat, ".chat-note-toggle");
    toggle.checked = noteOnly || toggle.checked;
    toggle.disabled = noteOnly;
  }

  function showPaneError(text) {
    var chat = active !== null ? chats[active] : null;
    var box = chat ? find(chat, ".chat-pane-error") : document.getElementById("chat-connection");
    box.textContent = text;
    box.hidden = false;
    window.clearTimeout(showPaneError.timer);
    showPaneError.timer = window.setTimeout(function () {
      if (chat) {
        box.hidden = true;
      }
    }, 8000);
  }

  // --- the handover context ---------------------------------------------------------------

  function renderContext(chat, frame) {
    var customer = frame.customer || {};
    chat.customerName = customer.name || "";
    chat.tab.querySelector(".chat-tab-name").textContent = (customer.name || t("고객")) + " #" + chat.id;
    find(chat, ".chat-pane-title").textContent = (customer.name || t("이름 없는 고객")) + " · " + t("채팅 #%(id)s", { id: chat.id });
    var facts = [
      [t("이름"), customer.name || "—"],
      [t("이메일"), customer.email || "—"],
      [t("전화"), customer.phone || "—"],
      [t("본인 확인"), customer.verified ? t("확인됨") : t("미확인")],
      [t("가입"), customer.since ? customer.since.slice(0, 10) : "—"],
      [t("채팅 상담"), t("%(num)s회", { num: customer.chats || 0 })]
    ];
    var list = find(chat, ".chat-customer");
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    facts.forEach(function (fact) {
      list.appendChild(el("dt", {}, fact[0]));
      list.appendChild(el("dd", {}, fact[1]));
    });
    var inquiries = find(chat, ".chat-inquiries");
    while (inquiries.firstChild) {
      inquiries.removeChild(inquiries.firstChild);
    }
    (frame.inquiries || []).forEach(function (inquiry) {
      inquiries.appendChild(el("li", {}, [
        el("a", { href: "/console/inquiries/" + encodeURIComponent(inquiry.id), target: "_blank", rel: "noopener" }, inquiry.number),
        " " + inquiry.title + " ",
        el("span", { class: "badge" }, inquiry.status_label)
      ]));
    });
    if (!inquiries.firstChild) {
      inquiries.appendChild(el("li", { class: "muted" }, t("최근 문의가 없습니다.")));
    }
  }

  // --- messages ---------------------------------------------------------------------------

  function renderMessage(frame) {
    var sender = frame.internal ? "note" : frame.sender;
    var who = SENDER_LABELS[frame.sender] || frame.sender;
    if (frame.agent_name && frame.sender === "agent") {
      who += " " + frame.agent_name;
    }
    var item = el("li", {
      class: "chat-msg chat-msg-" + sender,
      "data-seq": frame.seq,
      "data-sender": frame.sender,
      "data-client-msg-id": frame.client_msg_id || null
    }, [el("span", { class: "chat-who" }, frame.internal ? who + " · " + t("내부 메모") : who)]);
    var bubble = el("div", { class: "chat-bubble" });
    if (frame.text) {
      bubble.appendChild(el("p", { class: "chat-text" }, frame.text));
    }
    if (frame.image) {
      bubble.appendChild(el("a", { class: "chat-image", href: frame.image.url, target: "_blank", rel: "noopener" }, [
        el("img", { src: frame.image.url, alt: frame.image.name, loading: "lazy" })
      ]));
    }
    (frame.suggestions || []).forEach(function (suggestion) {
      bubble.appendChild(el("p", { class: "chat-context-line" }, t("추천 도움말:") + " " + suggestion.title));
    });
    (frame.options || []).forEach(function (option) {
      bubble.appendChild(el("p", { class: "chat-context-line" }, t("안내한 선택지:") + " " + option.label));
    });
    if (frame.inquiry) {
      bubble.appendChild(el("p", { class: "chat-context-line" }, [
        t("문의로 접수:") + " ",
        el("a", { href: "/console/inquiries/" + encodeURIComponent(frame.inquiry.id) }, String(frame.inquiry.number))
      ]));
    }
    item.appendChild(bubble);
    var meta = el("span", { class: "chat-meta" }, clock(frame.created_at));
    if (frame.sender === "agent" && !frame.internal) {
      meta.appendChild(el("span", { class: "chat-receipt" }));
    }
    item.appendChild(meta);
    return item;
  }

  function addMessage(chat, frame) {
    var log = find(chat, ".chat-log");
    var item = renderMessage(frame);
    var pending = frame.client_msg_id ? log.querySelector('li.chat-msg-pending[data-client-msg-id="' + frame.client_msg_id + '"]') : null;
    if (pending) {
      log.removeChild(pending);
    }
    var children = log.children;
    var before = null;
    for (var i = 0; i < children.length && !before; i += 1) {
      if (children[i].classList.contains("chat-msg-pending") || Number(children[i].getAttribute("data-seq")) > frame.seq) {
        before = children[i];
      }
    }
    log.insertBefore(item, before);
    applyReceipts(chat);
  }

  function applyReceipts(chat) {
    find(chat, ".chat-log").querySelectorAll("li.chat-msg-agent:not(.chat-msg-pending) .chat-receipt").forEach(function (mark) {
      var seq = Number(mark.parentNode.parentNode.getAttribute("data-seq"));
      mark.textContent = seq <= chat.receipts.read ? t("읽음") : seq <= chat.receipts.delivered ? t("전달됨") : t("전송됨");
    });
  }

  function scrollDown(chat) {
    var log = find(chat, ".chat-log");
    log.scrollTop = log.scrollHeight;
  }

  function markRead(chat) {
    if (!chat.mine || chat.status !== "active" || active !== chat.id || document.visibilityState !== "visible") {
      return;
    }
    var last = client.lastSeq[chat.id] || 0;
    if (last > chat.readSent && client.send({ type: "read", conversation: chat.id, seq: last })) {
      chat.readSent = last;
    }
  }

  // --- what the agent does ----------------------------------------------------------------

  function fillPlaceholders(text, chat) {
    return text.split("{고객명}").join(chat.customerName || "고객").split("{상담사명}").join(me.bareName || me.name);
  }

  function send(chat) {
    var box = find(chat, ".chat-reply");
    var text = box.value.trim();
    if (!text) {
      return;
    }
    var note = find(chat, ".chat-note-toggle").checked;
    var id = window.GogaekChatClient.newId();
    var frame = { type: note ? "note" : "message", conversation: chat.id, text: text, client_msg_id: id };
    var pending = renderMessage({ sender: "agent", internal: note, text: text, agent_name: me.name, client_msg_id: id });
    pending.classList.add("chat-msg-pending");
    find(chat, ".chat-log").appendChild(pending);
    scrollDown(chat);
    client.sendMessage(frame);
    box.value = "";
    box.focus();
  }

  function wirePane(chat) {
    var box = find(chat, ".chat-reply");
    find(chat, ".chat-reply-form").addEventListener("submit", function (event) {
      event.preventDefault();
      send(chat);
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        send(chat);
      }
    });
    box.addEventListener("input", function () {
      var now = Date.now();
      if (chat.mine && chat.status === "active" && !find(chat, ".chat-note-toggle").checked && now - chat.typingSent > TYPING_SEND_MS) {
        chat.typingSent = now;
        client.send({ type: "typing", conversation: chat.id });
      }
    });
    box.addEventListener("focus", function () { markRead(chat); });
    find(chat, ".chat-canned").addEventListener("change", function (event) {
      var option = event.target.options[event.target.selectedIndex];
      var text = option && option.getAttribute("data-text");
      if (text) {
        var typed = box.value.replace(/\s+$/, "");
        box.value = (typed ? typed + "\n" : "") + fillPlaceholders(text, chat);
        box.focus();
      }
      event.target.selectedIndex = 0;
    });
    find(chat, ".chat-transfer-agent-button").addEventListener("click", function () {
      var target = Number(find(chat, ".chat-transfer-agent").value);
      if (target) {
        client.send({ type: "transfer", conversation: chat.id, to_agent: target });
      }
    });
    find(chat, ".chat-transfer-team-button").addEventListener("click", function () {
      var target = Number(find(chat, ".chat-transfer-team").value);
      if (target) {
        client.send({ type: "transfer", conversation: chat.id, to_team: target });
      }
    });
    find(chat, ".chat-end").addEventListener("click", function () {
      if (window.confirm(t("이 상담을 종료할까요?"))) {
        client.send({ type: "end", conversation: chat.id });
      }
    });
    find(chat, ".chat-close").addEventListener("click", function () { closeChat(chat); });
  }

  function watch(id, status) {
    var chat = openChat(id, false);
    find(chat, ".chat-pane-title").textContent = t("채팅 #%(id)s", { id: id }) + " " + t("(보기 전용 · 내부 메모 가능)");
    setStatus(chat, chat.status || status || "active");
    client.send({ type: "watch", conversation: id, after_seq: client.lastSeq[id] || 0 });
    activate(id);
  }

  // --- frames from the server -------------------------------------------------------------

  var handlers = {
    hello: function (frame) {
      document.getElementById("chat-availability").value = frame.agent.availability;
      var mine = frame.chats.map(function (chat) { return chat.id; });
      Object.keys(chats).forEach(function (key) {
        if (!chats[key].mine && mine.indexOf(Number(key)) < 0 && chats[key].status !== "ended") {
          client.send({ type: "watch", conversation: Number(key), after_seq: client.lastSeq[key] || 0 });
        }
      });
      var wanted = Number(new URLSearchParams(window.location.search).get("watch"));
      if (supervisor && wanted && !chats[wanted] && mine.indexOf(wanted) < 0) {
        watch(wanted);
      }
    },
    assigned: function (frame) {
      var chat = openChat(frame.conversation.id, true);
      renderContext(chat, frame);
      frame.transcript.forEach(function (message) {
        if (client.fresh(message)) {
          addMessage(chat, message);
        }
      });
      setStatus(chat, frame.conversation.status);
      if (active === chat.id) {
        markRead(chat);
      }
      scrollDown(chat);
    },
    queue: renderQueue,
    message: function (frame) {
      var chat = chats[frame.conversation];
      if (!chat) {
        return;
      }
      addMessage(chat, frame);
      if (frame.sender === "customer") {
        find(chat, ".chat-typing").hidden = true;
        if (active !== chat.id) {
          chat.tab.querySelector(".chat-tab-unread").hidden = false;
        }
      }
      markRead(chat);
      scrollDown(chat);
    },
    status: function (frame) {
      var chat = chats[frame.conversation];
      if (!chat) {
        return;
      }
      if (frame.status === "active" && frame.agent_name && frame.agent_name !== me.name && chat.mine) {
        chat.mine = false; // handed to a colleague
      }
      var note = frame.status === "ended" ? t("종료") + (frame.ended_by === "customer" ? " " + t("(고객)") : frame.ended_by === "idle" ? " " + t("(무응답)") : "") : null;
      setStatus(chat, frame.status, note);
    },
    released: function (frame) {
      var chat = chats[frame.conversation];
      if (chat && !supervisor) {
        closeChat(chat);
      } else if (chat) {
        chat.mine = false;
        setStatus(chat, chat.status, t("다른 상담사에게 넘김"));
      }
    },
    typing: function (frame) {
      var chat = chats[frame.conversation];
      if (chat && frame.by === "customer") {
        var note = find(chat, ".chat-typing");
        note.hidden = false;
        window.clearTimeout(chat.typingTimer);
        chat.typingTimer = window.setTimeout(function () { note.hidden = true; }, TYPING_SHOW_MS);
      }
    },
    delivered: receipt,
    read: receipt,
    availability: function (frame) {
      document.getElementById("chat-availability").value = frame.status;
    },
    call_ringing: announceCall,
    call_answered: announceCall,
    send_failed: function (frame) {
      var item = document.querySelector('li.chat-msg-pending[data-client-msg-id="' + frame.client_msg_id + '"]');
      if (item) {
        item.classList.add("chat-msg-failed");
        item.querySelector(".chat-who").textContent = t("보내지 못함");
      }
    },
    error: function (frame) {
      showPaneError(frame.message || t("요청을 처리하지 못했습니다."));
      document.querySelectorAll(".chat-accept").forEach(function (button) { button.disabled = false; });
    }
  };

  /* Phone screen-pops are drawn by console-call-pop.js. */
  function announceCall(frame) {
    document.dispatchEvent(new CustomEvent("gogaek:call", { detail: frame }));
  }

  function receipt(frame) {
    var chat = chats[frame.conversation];
    if (!chat || frame.by !== "customer") {
      return;
    }
    chat.receipts[frame.type] = Math.max(chat.receipts[frame.type], frame.seq);
    if (frame.type === "read") {
      chat.receipts.delivered = Math.max(chat.receipts.delivered, frame.seq);
    }
    applyReceipts(chat);
  }

  function onState(state) {
    var line = document.getElementById("chat-connection");
    var text = {
      connecting: t("연결 중…"),
      open: t("연결됨"),
      waiting: t("연결이 끊겼습니다. 다시 연결하는 중…"),
      unauthorized: t("로그인이 만료되었습니다. 페이지를 새로 고쳐 다시 로그인해 주세요.")
    }[state];
    if (text) {
      line.textContent = text;
      line.setAttribute("data-state", state);
    }
  }

  client = new window.GogaekChatClient({
    url: root.getAttribute("data-socket"),
    resume: false,
    onFrame: function (frame) {
      var handler = handlers[frame.type];
      if (handler) {
        handler(frame);
      }
    },
    onState: onState
  });

  document.getElementById("chat-availability").addEventListener("change", function (event) {
    client.send({ type: "availability", status: event.target.value });
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.chat-watch") : null;
    if (link && supervisor && client.isOpen()) {
      event.preventDefault();
      var row = link.closest("tr");
      watch(Number(link.getAttribute("data-conversation")), row && row.getAttribute("data-status"));
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (active !== null) {
      markRead(chats[active]);
    }
  });
  client.start();
})();
