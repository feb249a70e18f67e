/* A small client for the chat sockets (docs/chat-protocol.md), shared by the customer page, the
 * embeddable widget and the agent console.
 *
 * It keeps the socket alive: reconnects with backoff, resumes after the highest seq it has
 * passed on, drops a seq it has already passed on, resends messages that were never
 * acknowledged (the client_msg_id makes a resend safe) and pings every 25 seconds.
 *
 *   var client = new GogaekChatClient({
 *     url: "/ws/chat",               // or an absolute http(s):// or ws(s):// address
 *     query: {token: "…"},           // optional extra query parameters
 *     resume: true,                  // customers: reconnect with conversation + after_seq
 *     onFrame: function (frame) {},  // every frame except duplicates and pongs
 *     onState: function (state) {}   // "connecting", "open", "waiting", "unauthorized", "forbidden"
 *   });
 *   client.start();
 *   client.sendMessage({type: "message", text: "…"});  // returns the client_msg_id
 */
(function () {
  "use strict";

  var PING_MS = 25000;
  var SILENCE_MS = 65000; // no frame at all for this long: the connection is dead, reconnect
  var RESEND_MS = 10000; // an unacknowledged message is sent again after this long
  var MAX_TRIES = 6;
  var FATAL = { 4401: "unauthorized", 4403: "forbidden", 4400: "bad_request" };

  function socketUrl(url, query) {
    var base = new URL(url, window.location.href);
    if (base.protocol === "http:") {
      base.protocol = "ws:";
    } else if (base.protocol === "https:") {
      base.protocol = "wss:";
    }
    Object.keys(query).forEach(function (name) {
      if (query[name] !== null && query[name] !== undefined && query[name] !== "") {
        base.searchParams.set(name, String(query[name]));
      }
    });
    return base.toString();
  }

  function newId() {
    var bytes = new Uint8Array(9);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i += 1) {
      text += ("0" + bytes[i].toString(16)).slice(-2);
    }
    return "c-" + Date.now().toString(36) + "-" + text;
  }

  function Client(options) {
    this.options = options;
    this.query = options.query || {};
    this.conversation = options.conversation || null;
    this.lastSeq = {}; // conversation id → highest seq passed on
    this.pending = []; // [{id, frame, sentAt, tries}] in sending order
    this.socket = null;
    this.attempts = 0;
    this.stopped = true;
    this.timers = {};
  }

  Client.prototype.start = function () {
    var self = this;
    this.stopped = false;
    if (!this.listening) {
      this.listening = true;
      window.addEventListener("online", function () { self.reconnectNow(); });
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "visible") {
          self.reconnectNow();
        }
      });
    }
    this.connect();
  };

  Client.prototype.stop = function () {
    this.stopped = true;
    this.clearTimers();
    if (this.socket) {
      this.socket.close(1000);
    }
  };

  /* Forget the current chat (the customer starts a new one) and connect again. */
  Client.prototype.restart = function () {
    this.conversation = null;
    this.lastSeq = {};
    this.pending = [];
    this.stop();
    this.start();
  };

  Client.prototype.setQuery = function (name, value) {
    this.query[name] = value;
  };

  Client.prototype.state = function (state, detail) {
    if (this.options.onState) {
      this.options.onState(state, detail);
    }
  };

  Client.prototype.clearTimers = function () {
    Object.keys(this.timers).forEach(function (name) {
      window.clearTimeout(this.timers[name]);
      window.clearInterval(this.timers[name]);
    }, this);
    this.timers = {};
  };

  Client.prototype.connect = function () {
    if (this.stopped || (this.socket && this.socket.readyState <= 1)) {
      return;
    }
    var query = Object.assign({}, this.query);
    if (this.options.resume && this.conversation !== null) {
      query.conversation = this.conversation;
      query.after_seq = this.lastSeq[this.conversation] || 0;
    }
    var socket = new WebSocket(socketUrl(this.options.url, query));
    var self = this;
    this.socket = socket;
    this.lastFrameAt = Date.now();
    this.state("connecting");
    socket.onopen = function () { self.opened(socket); };
    socket.onmessage = function (event) { self.received(event.data); };
    socket.onclose = function (event) { self.closed(socket, event.code); };
  };

  Client.prototype.opened = function (socket) {
    var self = this;
    this.clearTimers();
    this.timers.ping = window.setInterval(function () {
      if (Date.now() - self.lastFrameAt > SILENCE_MS) {
        socket.close(4000);
        return;
      }
      self.send({ type: "ping" });
      self.resendStale();
    }, PING_MS);
    // Frames sent now are read after the server's replay, so a message the replay
    // acknowledges is only answered as a duplicate: never stored twice.
    this.resend(true);
  };

  Client.prototype.closed = function (socket, code) {
    if (socket !== this.socket) {
      return;
    }
    this.clearTimers();
    this.socket = null;
    if (FATAL[code]) {
      this.stopped = true;
      this.state(FATAL[code]);
      return;
    }
    if (this.stopped) {
      return;
    }
    var delay = code === 1013 ? 200 : Math.min(30000, 1000 * Math.pow(2, this.attempts));
    delay = Math.round(delay * (0.5 + Math.random() / 2));
    this.attempts += 1;
    this.state("waiting", { delay: delay });
    var self = this;
    this.timers.retry = window.setTimeout(function () { self.connect(); }, delay);
  };

  Client.prototype.reconnectNow = function () {
    if (!this.stopped && !this.socket) {
      this.clearTimers();
      this.connect();
    }
  };

  Client.prototype.isOpen = function () {
    return Boolean(this.socket && this.socket.readyState === 1);
  };

  Client.prototype.send = function (frame) {
    if (!this.isOpen()) {
      return false;
    }
    this.socket.send(JSON.stringify(frame));
    return true;
  };

  /* A message (or note) that must arrive: kept until the server echoes its client_msg_id. */
  Client.prototype.sendMessage = function (frame) {
    var entry = { id: frame.client_msg_id || newId(), frame: frame, sentAt: 0, tries: 0 };
    frame.client_msg_id = entry.id;
    this.pending.push(entry);
    this.transmit(entry);
    return entry.id;
  };

  Client.prototype.transmit = function (entry) {
    if (this.send(entry.frame)) {
      entry.sentAt = Date.now();
      entry.tries += 1;
    }
  };

  Client.prototype.resend = function (all) {
    var now = Date.now();
    var failed = [];
    this.pending.forEach(function (entry) {
      if (!all && now - entry.sentAt < RESEND_MS) {
        return;
      }
      if (entry.tries >= MAX_TRIES) {
        failed.push(entry);
      } else {
        this.transmit(entry);
      }
    }, this);
    failed.forEach(function (entry) { this.fail(entry.id); }, this);
  };

  Client.prototype.resendStale = function () {
    this.resend(false);
  };

  /* Gives up on every unacknowledged message, e.g. because the chat has ended. */
  Client.prototype.failAll = function () {
    this.pending.slice().forEach(function (entry) { this.fail(entry.id); }, this);
  };

  Client.prototype.fail = function (id) {
    this.acknowledge(id);
    if (this.options.onFrame) {
      this.options.onFrame({ type: "send_failed", client_msg_id: id });
    }
  };

  Client.prototype.acknowledge = function (id) {
    this.pending = this.pending.filter(function (entry) { return entry.id !== id; });
  };

  Client.prototype.isPending = function (id) {
    return this.pending.some(function (entry) { return entry.id === id; });
  };

  /* True once per (conversation, seq): a seq at or below the highest passed on is a repeat. */
  Client.prototype.fresh = function (message) {
    if (message.client_msg_id) {
      this.acknowledge(message.client_msg_id);
    }
    var last = this.lastSeq[message.conversation] || 0;
    if (message.seq <= last) {
      return false;
    }
    this.lastSeq[message.conversation] = message.seq;
    return true;
  };

  /* The console closed this chat's tab: when it opens again, its whole history is new again. */
  Client.prototype.forget = function (conversation) {
    delete this.lastSeq[conversation];
  };

  Client.prototype.received = function (raw) {
    var frame;
    this.lastFrameAt = Date.now();
    try {
      frame = JSON.parse(raw);
    } catch (error) {
      return;
    }
    if (frame.type === "pong") {
      return;
    }
    if (frame.type === "hello") {
      this.attempts = 0;
      this.state("open", frame);
      if (frame.conversation && frame.conversation.id !== undefined) {
        if (this.conversation !== frame.conversation.id) {
          this.lastSeq = {};
        }
        this.conversation = frame.conversation.id;
      }
    } else if (frame.type === "message" && !this.fresh(frame)) {
      return;
    } else if (frame.type === "error") {
      this.refused(frame);
    }
    if (this.options.onFrame) {
      this.options.onFrame(frame);
    }
  };

  Client.prototype.refused = function (frame) {
    var self = this;
    if (frame.code === "rate_limited") {
      var wait = Math.max(1, frame.retry_after || 1) * 1000;
      window.setTimeout(function () { self.resend(true); }, wait);
    } else if (frame.code === "chat_ended" && this.options.resume) {
      this.failAll();
    }
  };

  /* Shared by both chat UIs: el("button", {class: "x", hidden: true}, "text" | [nodes]) builds
   * a node whose text always goes in as text, never as HTML. */
  function el(tag, attrs, content) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (attrs[name] === true) {
        node.setAttribute(name, "");
      } else if (attrs[name] !== false && attrs[name] !== null && attrs[name] !== undefined) {
        node.setAttribute(name, String(attrs[name]));
      }
    });
    (Array.isArray(content) ? content : [content]).forEach(function (child) {
      if (child !== null && child !== undefined && child !== "") {
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  /* "14:05" in the viewer's time zone. */
  function clock(iso) {
    var date = iso ? new Date(iso) : new Date();
    return ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
  }

  Client.newId = newId;
  Client.el = el;
  Client.clock = clock;
  window.GogaekChatClient = Client;
})();
