// Station page: keyboard-wedge scans in, a large verdict out. Reads that cannot reach the ledger are kept in
// localStorage with their scan time and re-sent until the ledger answers (same time -> same EPCIS event hash ->
// recorded once). No framework, no third-party code.
"use strict";
(function () {
  var QUEUE_KEY = "usmca-station-queue";
  var RETRY_MS = 4000;
  var form = document.getElementById("scan-form");
  var input = document.getElementById("code");
  var verdict = document.getElementById("verdict");
  var linkState = document.getElementById("link-state");
  var queueCount = document.getElementById("queue-count");
  var tbody = document.querySelector("#recent tbody");
  var flushing = false;

  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); } catch (e) { return []; }
  }
  function saveQueue(q) { localStorage.setItem(QUEUE_KEY, JSON.stringify(q)); showQueue(); }
  function showQueue() {
    var n = loadQueue().length;
    queueCount.hidden = n === 0;
    queueCount.textContent = n + " waiting to be sent";
  }
  function setLink(ok, text) {
    linkState.className = "link-state " + (ok ? "ok" : "down");
    linkState.textContent = text;
  }
  function shortUid(uid) {
    var m = /\/01\/(\d+)\/21\/(.+)$/.exec(uid || "");
    return m ? m[1] + " · " + decodeURIComponent(m[2]) : (uid || "");
  }
  function show(kind, word, reason, part) {
    verdict.className = "verdict " + kind;
    verdict.querySelector(".verdict-word").textContent = word;
    verdict.querySelector(".verdict-reason").textContent = reason;
    var dl = verdict.querySelector(".verdict-part");
    dl.textContent = "";
    if (part) {
      [["Part", (part.part_number || part.part_type) + (part.description ? " — " + part.description : "")],
       ["Lot", part.lot || "-"], ["Produced", part.production_date || "-"],
       ["Owner", part.owner_msp || "-"], ["Status", part.status || "-"]].forEach(function (kv) {
        var dt = document.createElement("dt"); dt.textContent = kv[0];
        var dd = document.createElement("dd"); dd.textContent = kv[1];
        dl.appendChild(dt); dl.appendChild(dd);
      });
    }
    dl.hidden = !part;
  }
  function when(t) { return String(t || "").replace("T", " ").replace(/\.\d+Z$/, " UTC"); }
  function addRow(kind, time, uid, reason) {
    var tr = document.createElement("tr");
    tr.className = kind;
    var label = kind === "ok" ? "OK" : kind === "refused" ? "REFUSED" : "KEPT";
    [when(time), null, shortUid(uid), reason].forEach(function (text, i) {
      var td = document.createElement("td");
      if (i === 1) {
        var span = document.createElement("span"); span.className = "pill " + kind; span.textContent = label;
        td.appendChild(span);
      } else if (i === 2) {
        var code = document.createElement("code"); code.textContent = text; td.appendChild(code);
      } else { td.textContent = text; }
      tr.appendChild(td);
    });
    tbody.insertBefore(tr, tbody.firstChild);
    while (tbody.rows.length > 25) { tbody.deleteRow(-1); }
  }

  // One read to the server. Resolves to {kind, body}: "answer" (ledger verdict), "refused" (bad input),
  // "auth" (signed out) or "offline" (keep it).
  function send(item) {
    return fetch("/station/scan", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(item)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        if (resp.ok) { return { kind: "answer", body: body }; }
        if (resp.status === 401) { return { kind: "auth", body: body }; }
        if (resp.status >= 500 || resp.status === 408 || resp.status === 429) { return { kind: "offline", body: body }; }
        return { kind: "refused", body: body };
      });
    }, function () { return { kind: "offline", body: {} }; });
  }

  function report(item, result, replay) {
    var b = result.body || {};
    if (result.kind === "answer") {
      setLink(true, "Ledger connected");
      var reason = b.reason + (b.duplicate ? " (already recorded)" : "") +
        (b.warnings && b.warnings.length ? " — warning: " + b.warnings.join("; ") : "");
      if (!replay) { show(b.verdict, b.verdict === "ok" ? "OK" : "REFUSED", reason, b.part); }
      addRow(b.verdict, item.event_time, b.uid, (replay ? "sent later: " : "") + reason);
    } else if (result.kind === "refused") {
      if (!replay) { show("refused", "REFUSED", b.detail || "the read was refused", null); }
      addRow("refused", item.event_time, item.code, b.detail || "refused");
    }
  }

  function keep(item, why) {
    var q = loadQueue(); q.push(item); saveQueue(q);
    setLink(false, why);
    show("kept", "KEPT", why + " — the scan is stored on this device and will be sent automatically.", null);
    addRow("kept", item.event_time, item.code, "stored, waiting for the ledger");
  }

  function flush() {
    if (flushing) { return; }
    var q = loadQueue();
    if (!q.length) { return; }
    flushing = true;
    var item = q[0];
    send(item).then(function (result) {
      if (result.kind === "offline" || result.kind === "auth") {
        setLink(false, result.kind === "auth" ? "Signed out: sign in again to send stored scans" : "Ledger unreachable");
        flushing = false;
        return;
      }
      var rest = loadQueue().filter(function (x) { return !(x.code === item.code && x.event_time === item.event_time); });
      saveQueue(rest);
      report(item, result, true);
      flushing = false;
      if (rest.length) { flush(); }
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var code = input.value.replace(/[\r\n]+$/, "");
    input.value = "";
    input.focus();
    if (!code.trim()) { return; }
    var item = { code: code, event_time: new Date().toISOString() };
    show("pending", "…", "Checking " + code, null);
    if (loadQueue().length) { keep(item, "Earlier scans are still waiting"); flush(); return; }
    send(item).then(function (result) {
      if (result.kind === "offline") { keep(item, "Ledger unreachable"); }
      else if (result.kind === "auth") { keep(item, "Signed out: sign in again"); }
      else { report(item, result, false); }
    });
  });

  // Keyboard-wedge scanners type the GS1 group separator (FNC1) as Ctrl+]; a text field would drop it, and
  // without it a variable-length serial runs into the next element. Insert the character itself instead.
  input.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey && (ev.key === "]" || ev.code === "BracketRight")) {
      ev.preventDefault();
      var start = input.selectionStart, end = input.selectionEnd;
      input.value = input.value.slice(0, start) + "\u001d" + input.value.slice(end);
      input.selectionStart = input.selectionEnd = start + 1;
    }
  });

  // Keep the scan field focused: a keyboard-wedge scanner types wherever the focus is.
  input.addEventListener("blur", function () {
    setTimeout(function () {
      var a = document.activeElement;
      if (!a || a === document.body || a === verdict) { input.focus(); }
    }, 150);
  });
  document.addEventListener("click", function (ev) {
    if (!ev.target.closest("a, button, input, select, textarea")) { input.focus(); }
  });
  // Between scans, ask the service whether it can reach its ledger, so the operator knows before scanning.
  function checkHealth() {
    if (loadQueue().length) { return; }
    fetch("/healthz", { credentials: "same-origin", cache: "no-store" }).then(function (resp) {
      setLink(resp.ok, resp.ok ? "Ledger connected" : "Ledger unreachable");
    }, function () { setLink(false, "Ledger unreachable"); });
  }
  setInterval(checkHealth, 10000);
  window.addEventListener("online", flush);
  setInterval(flush, RETRY_MS);
  showQueue();
  flush();
  input.focus();
}());
