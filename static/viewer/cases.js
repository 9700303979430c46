/* sanigrid case pages. Every action goes through POST /api/v1/cases/{id}/actions, the one implementation of
 * the rules: with the case's ETag as If-Match (a case changed since the page was read answers 409 and is
 * not overwritten) and the page's CSRF token in X-CSRF-Token (the sign-in is the session cookie).
 *  - /cases: tick cases and press 派遣; one request per case, each row shows its own result.
 *  - /cases/<id>: one form per allowed action; rectify uploads the evidence photo as multipart.
 *  - /cases/<id>/notice: the print button. */
(function () {
  "use strict";

  function meta(name) {
    var tag = document.querySelector('meta[name="' + name + '"]');
    return tag ? tag.getAttribute("content") : "";
  }

  function etagOf(id, version) { return '"case-' + id + "-v" + version + '"'; }

  /* POST one action; resolves to {ok, status, body} (body: the case Feature or the problem+json). */
  function act(id, etag, body) {
    var headers = {"If-Match": etag, "X-CSRF-Token": meta("csrf-token"), "Accept": "application/geo+json"};
    if (!(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    return fetch("/api/v1/cases/" + encodeURIComponent(id) + "/actions",
                 {method: "POST", headers: headers, body: body, credentials: "same-origin"})
      .then(function (response) {
        return response.text().then(function (text) {
          var parsed = {};
          try { parsed = text ? JSON.parse(text) : {}; } catch (e) { parsed = {detail: text}; }
          return {ok: response.ok, status: response.status, body: parsed, etag: response.headers.get("ETag")};
        });
      }, function (error) { return {ok: false, status: 0, body: {detail: String(error)}}; });
  }

  /* The problem+json of a refusal as lines: status, detail, then each problem. */
  function problemText(answer) {
    var lines = [answer.status + " " + (answer.body.detail || answer.body.title || "")];
    (answer.body.problems || []).forEach(function (p) { lines.push("• " + (p.code ? p.code + ": " : "") + p.reason); });
    return lines.join("\n");
  }

  function texts(el) {
    try { return JSON.parse(el.getAttribute("data-texts") || "{}"); } catch (e) { return {}; }
  }

  /* The list: bulk dispatch, one request per ticked case, one after the other. */
  function setupBulk(bulk) {
    var t = texts(bulk), message = document.getElementById("sg-bulk-message");
    var all = document.getElementById("sg-pick-all");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll("input.sg-pick").forEach(function (box) { box.checked = all.checked; });
      });
    }
    document.getElementById("sg-dispatch").addEventListener("click", function () {
      var picked = Array.prototype.filter.call(document.querySelectorAll("input.sg-pick"), function (b) { return b.checked; });
      message.className = "sg-messages";
      if (!picked.length) { message.textContent = t.none_selected || ""; return; }
      message.textContent = "";
      var assignee = document.getElementById("sg-assignee").value.trim();
      var body = {action: "dispatch"};
      if (assignee) { body.assignee = assignee; }
      var done = 0, failed = 0;
      picked.reduce(function (chain, box) {
        return chain.then(function () {
          var id = box.getAttribute("data-id");
          return act(id, etagOf(id, box.getAttribute("data-version")), body).then(function (answer) {
            var cell = document.querySelector('td.sg-result[data-id="' + id + '"]');
            var row = document.querySelector('tr[data-id="' + id + '"]');
            if (answer.ok) {
              done += 1;
              var props = answer.body.properties || {};
              box.setAttribute("data-version", props.version);
              box.checked = false;
              box.disabled = true;
              var state = row && row.querySelector(".sg-state");
              if (state) { state.textContent = props.state_label || props.state; state.setAttribute("data-state", props.state); }
              cell.textContent = (t.done || "ok") + " · v" + props.version;
              cell.className = "sg-result sg-ok";
            } else {
              failed += 1;
              cell.textContent = (t.failed || "") + ": " + problemText(answer);
              cell.className = "sg-result sg-bad";
            }
          });
        });
      }, Promise.resolve()).then(function () {
        message.textContent = (t.done || "ok") + " " + done + " · " + (t.failed || "") + " " + failed;
        message.className = "sg-messages " + (failed ? "sg-bad" : "sg-ok");
      });
    });
  }

  /* The case page: each action's form posts through the API, then the page is read again. */
  function setupCase(box) {
    var id = box.getAttribute("data-id"), t = texts(box);
    var message = document.getElementById("sg-act-message");
    box.querySelectorAll("form.sg-act").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var action = form.getAttribute("data-action"), body;
        if (action === "rectify") {
          body = new FormData(form);
          body.append("action", action);
        } else {
          body = {action: action};
          Array.prototype.forEach.call(form.elements, function (el) {
            if (el.name && el.value.trim() !== "") {
              body[el.name] = el.type === "number" ? parseInt(el.value, 10) : el.value.trim();
            }
          });
        }
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        act(id, box.getAttribute("data-etag"), body).then(function (answer) {
          if (answer.ok) {
            message.textContent = t.done || "ok";
            message.className = "sg-messages sg-ok";
            window.location.reload();
            return;
          }
          form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
          message.textContent = (t.failed || "") + ": " + problemText(answer);
          message.className = "sg-messages sg-bad";
        });
      });
    });
  }

  function setup() {
    var bulk = document.getElementById("sg-bulk");
    if (bulk) { setupBulk(bulk); }
    var box = document.getElementById("sg-case");
    if (box) { setupCase(box); }
    var print = document.getElementById("sg-print");
    if (print) { print.addEventListener("click", function () { window.print(); }); }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setup); } else { setup(); }
})();
