/* 坐席助手: watch a call over a WebSocket and show what the agent needs as the caller speaks.
 * Every value from the server is inserted with textContent, never as HTML. */
(function () {
  "use strict";
  var socket = null, callId = null;
  var OUTCOMES = { answer: ["已匹配", "good"], clarify: ["需确认", "warn"], handoff: ["投诉/求助", "warn"],
                   out_of_scope: ["未匹配", ""], smalltalk: ["寒暄", ""] };
  var SPEAKERS = { caller: "来电人", agent: "坐席" };

  var $ = daobanDom.byId, el = daobanDom.el;
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; }
  function notice(text, error) { $("notice").textContent = text; $("notice").className = error ? "notice error" : "notice"; }
  function send(event) { if (socket && socket.readyState === 1) { socket.send(JSON.stringify(event)); } }
  function copy(text) {
    return navigator.clipboard ? navigator.clipboard.writeText(text).then(function () { notice("已复制"); },
      function () { notice("复制失败，请手动选择文字", true); }) : notice("请手动选择文字复制", true);
  }

  function join(id) {
    if (socket) { socket.close(); }
    callId = id;
    $("call-id").value = id;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/api/assist/ws/" + encodeURIComponent(id));
    socket.onopen = function () {
      $("live").textContent = "通话 " + id; $("live").className = "live on";
      ["say-text", "say-send", "reset"].forEach(function (x) { $(x).disabled = false; });
    };
    socket.onclose = function (event) {
      if (event.code === 4401) { location.href = "/console/login?next=/console/assist"; return; }
      $("live").textContent = "连接已断开"; $("live").className = "live";
    };
    socket.onmessage = function (message) {
      var data = JSON.parse(message.data);
      if (data.type === "error") { notice(data.detail, true); return; }
      if (data.type === "suggestion" && data.call_id === callId) { render(data); }
    };
  }

  function render(s) {
    showTranscript(s.transcript || []);
    var outcome = OUTCOMES[s.outcome] || [s.outcome, ""];
    $("outcome").textContent = outcome[0] + (s.confidence ? " " + Math.round(s.confidence * 100) + "%" : "");
    $("outcome").className = "badge " + outcome[1];
    renderCandidates(s);
    $("guide-box").hidden = !s.guide;
    if (s.guide) { renderGuide(s); }
    var order = s.work_order;
    $("wo-kind").textContent = order.kind_label;
    $("wo-department").textContent = order.department || "待分派";
    $("wo-summary").value = order.summary;
    if (s.sms && document.activeElement !== $("sms-text")) { $("sms-text").value = s.sms; }
  }

  function renderCandidates(s) {
    var list = clear($("candidates"));
    if (!s.candidates.length) { list.appendChild(el("li", "暂无匹配的事项", "muted")); }
    s.candidates.forEach(function (c) {
      var button = el("button", null, "candidate" + (c.slug === s.item ? " picked" : ""));
      button.type = "button";
      button.setAttribute("aria-pressed", String(c.slug === s.item));
      button.appendChild(el("span", c.name));
      var bar = el("span", null, "bar"), fill = el("span");
      fill.style.width = Math.round(Math.max(0, Math.min(1, c.score)) * 100) + "%";
      bar.appendChild(fill);
      bar.title = "匹配度 " + c.score;
      button.appendChild(bar);
      button.addEventListener("click", function () { send({ type: "item", item: c.slug }); });
      var li = el("li"); li.appendChild(button); list.appendChild(li);
    });
  }

  function renderGuide(s) {
    $("guide-link").href = s.guide.url;
    var script = clear($("script"));
    s.script.forEach(function (line) { script.appendChild(el("li", line)); });
    $("citation").textContent = s.guide.citation;
    $("next-question").textContent = s.next_question ? "请询问：" + s.next_question : "";
    var box = clear($("situations"));
    if (!s.situations.length) { box.appendChild(el("p", "本事项不区分情形。", "muted")); }
    s.situations.forEach(function (situation) {
      var div = el("div", null, "situation");
      var question = el("p", situation.question);
      if (situation.heard) { question.appendChild(el("span", "据通话识别，请核实", "heard")); }
      div.appendChild(question);
      situation.options.forEach(function (option) {
        var chosen = situation.chosen === option.key;
        var button = el("button", option.label);
        button.type = "button";
        button.setAttribute("aria-pressed", String(chosen));
        button.addEventListener("click", function () {
          send({ type: "choice", item: s.item, situation: situation.key, option: chosen ? null : option.key });
        });
        div.appendChild(button);
      });
      box.appendChild(div);
    });
    $("tailored").textContent = s.tailored ? "已按情形定制" : "完整清单（情形未确认）";
    $("tailored").className = "badge " + (s.tailored ? "good" : "warn");
    var checklist = clear($("checklist"));
    s.checklist.forEach(function (row) { checklist.appendChild(el("li", row.text, row.requirement)); });
  }

  function loadCalls() {
    fetch("/api/assist/calls", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : []; })
      .then(function (ids) {
        var list = clear($("calls"));
        ids.slice(0, 10).forEach(function (id) {
          var button = el("button", id); button.type = "button";
          button.addEventListener("click", function () { join(id); });
          var li = el("li"); li.appendChild(button); list.appendChild(li);
        });
      });
  }

  function showTranscript(segments) {
    var list = clear($("transcript"));
    segments.forEach(function (segment) {
      var li = el("li", null, segment.speaker + (segment.final ? "" : " interim"));
      li.appendChild(el("span", SPEAKERS[segment.speaker] || segment.speaker, "who"));
      li.appendChild(document.createTextNode(segment.text));
      list.appendChild(li);
    });
    list.scrollTop = list.scrollHeight;
  }

  $("join").addEventListener("submit", function (event) {
    event.preventDefault();
    if ($("call-id").checkValidity()) { join($("call-id").value.trim()); }
  });
  $("say").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("say-text").value.trim();
    if (!text) { return; }
    send({ type: "segment", speaker: $("speaker").value, text: text });
    $("say-text").value = "";
  });
  $("reset").addEventListener("click", function () { send({ type: "reset" }); });
  $("wo-copy").addEventListener("click", function () {
    copy("类型：" + $("wo-kind").textContent + "\n承办部门：" + $("wo-department").textContent + "\n摘要：" + $("wo-summary").value);
  });
  $("sms-copy").addEventListener("click", function () { copy($("sms-text").value); });
  $("sms-send").addEventListener("click", function () {
    var phone = $("sms-phone").value.trim();
    if (!/^1[3-9]\d{9}$/.test(phone)) { notice("请输入11位手机号", true); return; }
    fetch("/api/assist/sms", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ phone: phone, text: $("sms-text").value, call_id: callId })
    }).then(function (response) {
      return response.json().then(function (body) {
        if (response.ok) { notice("短信已发送至 " + body.phone); } else { notice(body.error || "发送失败", true); }
      });
    }).catch(function () { notice("网络异常，短信未发送", true); });
  });

  loadCalls();
  var preset = new URLSearchParams(location.search).get("call");
  if (preset && /^[A-Za-z0-9_.:-]{1,64}$/.test(preset)) { join(preset); }
}());
