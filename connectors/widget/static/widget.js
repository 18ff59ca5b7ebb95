/*
 * 导办 web widget: one <script> tag, no dependencies.
 *
 *   <script src="https://SERVER/widget/widget.js" data-server="https://SERVER" defer></script>
 *
 * Attributes: data-server (default: where this script came from), data-title, data-open="true".
 * Talks to POST {server}/api/messages (channel "web"); keeps the sender id and the last
 * messages in localStorage, so a reload shows the same conversation. Everything the server
 * or the user sends is inserted as text (textContent), never as HTML; links must be http(s).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__daobanWidget) { return; }
  window.__daobanWidget = true;

  var server = (script.getAttribute("data-server") || new URL(script.src).origin).replace(/\/+$/, "");
  var title = script.getAttribute("data-title") || "导办助手";
  var STORE = "daoban-widget:" + server;
  var KEEP = 60;
  var AGENT_PAYLOAD = '/handoff{"target": "agent"}';

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode: keep in memory */ }
  }
  function newSender() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return "w-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var state = load();
  if (typeof state.sender !== "string" || !/^w-[0-9a-f]{24}$/.test(state.sender)) { state.sender = newSender(); }
  if (!Array.isArray(state.history)) { state.history = []; }
  state.large = !!state.large;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  var host = el("div", { id: "daoban-widget" });
  var root = host.attachShadow({ mode: "open" });
  var style = el("link", { rel: "stylesheet", href: server + "/widget/widget.css" });
  root.appendChild(style);

  var launcher = el("button", { "class": "launcher", type: "button", "aria-label": "打开" + title,
                                "aria-expanded": "false", "aria-controls": "daoban-panel" });
  launcher.appendChild(el("span", { "aria-hidden": "true", "class": "launcher-icon" }, "问"));
  launcher.appendChild(el("span", { "class": "launcher-text" }, "办事咨询"));

  var panel = el("section", { id: "daoban-panel", "class": "panel", role: "dialog", "aria-modal": "false",
                              "aria-label": title, hidden: "" });
  var header = el("header", { "class": "header" });
  header.appendChild(el("h2", { "class": "title" }, title));
  var bigger = el("button", { type: "button", "class": "tool", "aria-pressed": String(state.large),
                              title: "放大字号" }, "大字");
  var agent = el("button", { type: "button", "class": "tool agent" }, "转人工");
  var close = el("button", { type: "button", "class": "tool close", "aria-label": "关闭" }, "×");
  header.appendChild(bigger); header.appendChild(agent); header.appendChild(close);

  var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
                        tabindex: "0", "aria-label": "对话记录" });
  var typing = el("div", { "class": "typing", role: "status", hidden: "" });
  typing.appendChild(el("span", { "class": "dots", "aria-hidden": "true" }, "● ● ●"));
  typing.appendChild(el("span", { "class": "sr" }, "助手正在输入"));

  var form = el("form", { "class": "composer" });
  var input = el("textarea", { rows: "1", maxlength: "500", "aria-label": "输入您的问题",
                               placeholder: "请输入您要办的事" });
  var send = el("button", { type: "submit", "class": "send" }, "发送");
  form.appendChild(input); form.appendChild(send);
  var note = el("p", { "class": "note" }, "示例数据，答复以窗口为准；请勿输入身份证号等个人信息。");

  panel.appendChild(header); panel.appendChild(log); panel.appendChild(typing);
  panel.appendChild(form); panel.appendChild(note);
  root.appendChild(launcher); root.appendChild(panel);
  document.body.appendChild(host);

  function safeUrl(url) {
    try {
      var parsed = new URL(url);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) { return null; }
  }

  function renderButtons(container, buttons, live) {
    if (!buttons || !buttons.length) { return; }
    var row = el("div", { "class": "buttons", role: "group", "aria-label": "可选回复" });
    buttons.forEach(function (button) {
      var b = el("button", { type: "button", "class": "reply" }, button.title);
      if (live) {
        b.addEventListener("click", function () { post(button.payload, button.title); });
      } else {
        b.disabled = true;
      }
      row.appendChild(b);
    });
    container.appendChild(row);
  }

  function renderCard(message) {
    var card = el("article", { "class": "card", "aria-label": message.title });
    card.appendChild(el("h3", {}, message.title));
    if (message.situation && message.situation.length) {
      card.appendChild(el("p", { "class": "situation" }, "按您的情况：" + message.situation.join("；")));
    }
    var list = el("ul", { "class": "checklist" });
    message.checklist.forEach(function (item, index) {
      var li = el("li");
      var id = "c-" + Math.random().toString(36).slice(2) + index;
      var box = el("input", { type: "checkbox", id: id });
      var label = el("label", { "for": id });
      label.appendChild(el("strong", {}, item.name));
      label.appendChild(el("span", {}, " " + item.detail));
      li.appendChild(box); li.appendChild(label); list.appendChild(li);
    });
    card.appendChild(list);
    card.appendChild(el("p", { "class": "cite" }, message.citation));
    return card;
  }

  function render(entry, live) {
    var message = entry.message;
    var row = el("div", { "class": "row " + entry.who });
    if (message.type === "card") {
      row.appendChild(renderCard(message));
    } else if (message.type === "link") {
      var url = safeUrl(message.url);
      var bubble = el("div", { "class": "bubble" });
      if (url) {
        var a = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, message.title);
        bubble.appendChild(a);
      } else {
        bubble.textContent = message.title;
      }
      row.appendChild(bubble);
    } else {
      var text = el("div", { "class": "bubble" }, message.text);
      if (entry.who === "bot") { text.setAttribute("aria-label", "助手：" + message.text); }
      row.appendChild(text);
      renderButtons(row, message.buttons, live);
    }
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function remember(who, message) {
    state.history.push({ who: who, message: message });
    state.history = state.history.slice(-KEEP);
    save();
  }

  function disableOldButtons() {
    Array.prototype.forEach.call(log.querySelectorAll("button.reply"), function (b) { b.disabled = true; });
  }

  var busy = false;
  var queued = [];  // sent while a reply is on its way: posted in order afterwards, never dropped
  function post(text, shown) {
    if (!text.trim()) { return; }
    if (busy) { queued.push([text, shown]); return; }
    busy = true;
    disableOldButtons();
    var mine = { type: "text", text: shown || text };
    render({ who: "user", message: mine }, false);
    remember("user", mine);
    typing.hidden = false;
    send.disabled = true;
    fetch(server + "/api/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: state.sender, text: text, channel: "web" })
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body && body.error ? body.error : "HTTP " + response.status); }
        return body;
      });
    }).then(function (body) {
      body.messages.forEach(function (message) {
        render({ who: "bot", message: message }, true);
        remember("bot", message);
      });
    }).catch(function () {
      var failed = { type: "text", text: "网络不稳定，消息没有发出，请稍后再试。" };
      render({ who: "system", message: failed }, false);
      if (!shown) { input.value = text; }
    }).then(function () {
      busy = false;
      typing.hidden = true;
      send.disabled = false;
      if (queued.length) { post.apply(null, queued.shift()); }
    });
  }

  function applySize() {
    panel.classList.toggle("large", state.large);
    bigger.setAttribute("aria-pressed", String(state.large));
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.hidden = true;
    state.open = true; save();
    if (!log.childNodes.length) {
      if (!state.history.length) {
        var hello = { type: "text", text: "您好！我是导办助手，可以告诉您办事要带什么材料、去哪个窗口、多久能办好。请问您要办什么事？" };
        remember("bot", hello);
      }
      state.history.forEach(function (entry, index) { render(entry, index === state.history.length - 1); });
    }
    input.focus();
  }

  function shut() {
    clearTimeout(polling);
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    state.open = false; save();
    launcher.focus();
  }

  launcher.addEventListener("click", open);
  close.addEventListener("click", shut);
  agent.addEventListener("click", function () { post(AGENT_PAYLOAD, "转人工"); });
  bigger.addEventListener("click", function () { state.large = !state.large; save(); applySize(); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") { shut(); } });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    post(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : send.click();
    }
  });

  // Staff's words during a takeover arrive here: polled while the panel is open, faster while a
  // person is with the conversation.
  var polling = null;
  function poll() {
    fetch(server + "/api/messages/" + encodeURIComponent(state.sender) + "/updates?channel=web")
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        body.messages.forEach(function (message) {
          render({ who: "staff", message: message }, false);
          remember("staff", message);
        });
        schedule(body.staff ? 1500 : 5000);
      }).catch(function () { schedule(8000); });
  }
  function schedule(delay) {
    clearTimeout(polling);
    if (!panel.hidden) { polling = setTimeout(poll, delay); }
  }
  launcher.addEventListener("click", function () { schedule(200); });

  applySize();
  if (state.open || script.getAttribute("data-open") === "true") { open(); schedule(200); }
})();
