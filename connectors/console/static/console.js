/* 导办工作台: queue, conversation, takeover and requests, updated live over a WebSocket.
 * Every value from the server is inserted with textContent, never as HTML. */
(function () {
  "use strict";
  var current = null;  // {channel, sender}
  var me = null;
  var KINDS = { booking: "预约", proxy: "帮办代办", message: "留言" };
  var STATUSES = { submitted: "待处理", confirmed: "已确认", done: "已办结", cancelled: "已取消" };
  var ROLES = { user: "市民", bot: "智能助手", agent: "工作人员" };
  var LABELS = { day: "日期", time: "时段", name: "姓名", mobile: "手机", address: "地址", when: "希望时间",
                 notes: "说明", message: "留言", item: "事项" };

  var $ = daobanDom.byId, el = daobanDom.el;
  function api(method, path, body) {
    return fetch(path, {
      method: method, credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      if (response.status === 401) { location.href = "/console/login"; throw new Error("login"); }
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || "HTTP " + response.status); }
        return data;
      });
    });
  }
  function same(a, b) { return a && b && a.channel === b.channel && a.sender === b.sender; }
  function label(c) { return (c.channel === "wechat" ? "微信" : c.channel === "web" ? "网页" : c.channel) + " · " + c.sender.slice(-6); }

  function loadQueue() {
    return api("GET", "/api/console/queue").then(function (queue) {
      $("waiting-count").textContent = String(queue.waiting.length);
      fill($("waiting"), queue.waiting, function (w) { return [label(w), w.summary]; });
      fill($("held"), queue.held.filter(function (h) { return h.staff === me.username; }),
           function (h) { return [label(h), "接入中"]; });
    });
  }
  function fill(list, rows, describe) {
    list.textContent = "";
    if (!rows.length) { list.appendChild(el("li", "暂无", "muted")); return; }
    rows.forEach(function (row) {
      var li = el("li");
      var button = el("button", null, "conversation" + (same(row, current) ? " selected" : ""));
      button.type = "button";
      var text = describe(row);
      button.appendChild(el("strong", text[0]));
      button.appendChild(el("span", text[1]));
      button.addEventListener("click", function () { open({ channel: row.channel, sender: row.sender }); });
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  function open(conversation) {
    current = conversation;
    return api("GET", "/api/console/conversations/" + encodeURIComponent(conversation.channel) + "/" +
               encodeURIComponent(conversation.sender)).then(function (data) {
      $("chat-title").textContent = label(data);
      var transcript = $("transcript");
      transcript.textContent = "";
      data.transcript.forEach(function (line) { append(line.role, line.text); });
      var mine = data.held_by === me.username;
      $("take").disabled = mine || (data.held_by && data.held_by !== me.username);
      $("hand-back").disabled = !mine;
      $("reply-text").disabled = !mine;
      $("send").disabled = !mine;
      showGuide(data.guide);
      loadQueue();
    });
  }
  function append(role, text) {
    var li = el("li", null, "line " + role);
    li.appendChild(el("span", ROLES[role] || role, "who"));
    li.appendChild(el("p", text));
    $("transcript").appendChild(li);
    $("transcript").scrollTop = $("transcript").scrollHeight;
  }
  function showGuide(guide) {
    var box = $("guide");
    box.textContent = "";
    if (!guide) { box.appendChild(el("p", "会话尚未涉及具体事项。", "muted")); return; }
    box.appendChild(el("h3", guide.name));
    if (guide.department) { box.appendChild(el("p", guide.department, "muted")); }
    var link = el("a", "打开完整指南");
    link.href = guide.url; link.target = "_blank"; link.rel = "noopener";
    box.appendChild(link);
    api("GET", "/api/guides/" + encodeURIComponent(guide.slug)).then(function (answer) {
      answer.sections.slice(0, 4).forEach(function (section) {
        box.appendChild(el("h4", section.title));
        var ul = el("ul");
        section.lines.slice(0, 6).forEach(function (line) { ul.appendChild(el("li", line)); });
        box.appendChild(ul);
      });
      box.appendChild(el("p", answer.citation, "muted small"));
    }).catch(function () { /* the guide link is still there */ });
  }

  function action(path) {
    if (!current) { return Promise.resolve(); }
    return api("POST", "/api/console/conversations/" + encodeURIComponent(current.channel) + "/" +
               encodeURIComponent(current.sender) + path).then(function () { return open(current); })
      .catch(function (error) { alert(error.message); });
  }

  function loadRequests() {
    var status = $("status-filter").value;
    return api("GET", "/api/console/requests" + (status ? "?status=" + status : "")).then(function (rows) {
      var body = $("request-rows");
      body.textContent = "";
      rows.forEach(function (r) {
        var tr = el("tr");
        tr.appendChild(el("td", r.reference));
        tr.appendChild(el("td", KINDS[r.kind] || r.kind));
        tr.appendChild(el("td", r.item_name || "—"));
        var fields = el("td");
        Object.keys(r.fields).filter(function (k) { return k !== "item"; }).forEach(function (k) {
          fields.appendChild(el("div", (LABELS[k] || k) + "：" + r.fields[k]));
        });
        tr.appendChild(fields);
        tr.appendChild(el("td", r.channel));
        tr.appendChild(el("td", r.created_at.slice(0, 16).replace("T", " ")));
        var cell = el("td");
        var select = el("select");
        select.setAttribute("aria-label", "状态：" + r.reference);
        Object.keys(STATUSES).forEach(function (key) {
          var option = el("option", STATUSES[key]);
          option.value = key;
          option.selected = key === r.status;
          select.appendChild(option);
        });
        select.addEventListener("change", function () {
          api("POST", "/api/console/requests/" + encodeURIComponent(r.reference), { status: select.value })
            .catch(function (error) { alert(error.message); loadRequests(); });
        });
        cell.appendChild(select);
        tr.appendChild(cell);
        body.appendChild(tr);
      });
      if (!rows.length) { var empty = el("tr"); var td = el("td", "暂无记录", "muted"); td.colSpan = 7; empty.appendChild(td); body.appendChild(empty); }
    });
  }

  function loadAccounts() {
    return api("GET", "/api/console/staff").then(function (rows) {
      var body = $("account-rows");
      body.textContent = "";
      rows.forEach(function (account) {
        var tr = el("tr");
        tr.appendChild(el("td", account.username));
        tr.appendChild(el("td", account.display_name));
        tr.appendChild(el("td", account.role === "admin" ? "管理员" : "坐席"));
        var cell = el("td");
        if (account.username !== me.username) {
          var remove = el("button", "删除", "secondary");
          remove.type = "button";
          remove.setAttribute("aria-label", "删除账号 " + account.username);
          remove.addEventListener("click", function () {
            if (!confirm("确定删除账号“" + account.display_name + "”？其登录将立即失效。")) { return; }
            api("DELETE", "/api/console/staff/" + encodeURIComponent(account.username))
              .then(loadAccounts).catch(function (error) { $("account-error").textContent = error.message; });
          });
          cell.appendChild(remove);
        }
        tr.appendChild(cell);
        body.appendChild(tr);
      });
    });
  }

  function connect() {
    var socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/console/ws");
    socket.onopen = function () { $("live").textContent = "实时连接"; $("live").className = "live on"; };
    socket.onclose = function () {
      $("live").textContent = "连接断开，重连中…"; $("live").className = "live";
      setTimeout(connect, 2000);
    };
    socket.onmessage = function (message) {
      var event = JSON.parse(message.data);
      if (event.type === "user_message" && same(event, current)) { append("user", event.text); }
      else if (event.type === "staff_message" && same(event, current)) { event.texts.forEach(function (t) { append("agent", t); }); }
      if (event.type === "request" || event.type === "request_status") { loadRequests(); }
      else { loadQueue(); }
    };
  }

  document.querySelectorAll(".tab[data-tab]").forEach(function (tab) {
    tab.addEventListener("click", function () {
      document.querySelectorAll(".tab[data-tab]").forEach(function (t) {
        var on = t === tab;
        t.classList.toggle("active", on);
        t.setAttribute("aria-pressed", String(on));
        $(t.getAttribute("data-tab")).hidden = !on;
      });
      if (tab.getAttribute("data-tab") === "requests") { loadRequests(); }
      if (tab.getAttribute("data-tab") === "accounts") { loadAccounts(); }
    });
  });
  $("take").addEventListener("click", function () { action("/take"); });
  $("hand-back").addEventListener("click", function () { action("/hand-back"); });
  $("status-filter").addEventListener("change", loadRequests);
  $("reply").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("reply-text").value.trim();
    if (!text || !current) { return; }
    api("POST", "/api/console/conversations/" + encodeURIComponent(current.channel) + "/" +
        encodeURIComponent(current.sender) + "/reply", { text: text })
      .then(function () { $("reply-text").value = ""; })
      .catch(function (error) { alert(error.message); });
  });
  $("add-account").addEventListener("submit", function (event) {
    event.preventDefault();
    $("account-error").textContent = "";
    api("POST", "/api/console/staff", { username: $("new-username").value.trim(), display_name: $("new-name").value.trim(),
                                        role: $("new-role").value, password: $("new-password").value })
      .then(function () { $("add-account").reset(); loadAccounts(); })
      .catch(function (error) { $("account-error").textContent = error.message; });
  });
  $("logout").addEventListener("click", function () {
    api("POST", "/api/console/logout").then(function () { location.href = "/console/login"; });
  });

  api("GET", "/api/console/me").then(function (who) {
    me = who;
    $("me").textContent = who.display_name + "（" + (who.role === "admin" ? "管理员" : "坐席") + "）";
    document.querySelector("[data-tab=accounts]").hidden = who.role !== "admin";
    loadQueue();
    connect();
  });
})();
