/* sanigrid /inspect: record an inspection on the spot from a phone.
 *
 * The draft (kind, level, inspector, answers, position, notes and the photos themselves) lives in
 * the phone's IndexedDB from the first tap until the server has answered 201, so a reload, a
 * closed tab or a lost connection loses nothing. Sending is one POST /api/v1/inspections
 * (multipart: the JSON in "inspection", the photos in "photo"), signed by the session cookie with
 * the page's CSRF token. When a send got no answer (the connection broke after the request went
 * out) the next try first asks the server whether that inspection arrived, so that a retry never
 * records it twice. The browser's Geolocation API gives WGS 84; coordinates read off a Chinese
 * map app are entered with their datum (GCJ-02, BD-09) and converted by the server. */
(function () {
  "use strict";
  var form = document.getElementById("sg-inspect");
  var DATA = JSON.parse(document.getElementById("sg-inspect-data").textContent);
  var T = DATA.text;
  if (!form || form.hidden) { return; }

  function $(id) { return document.getElementById(id); }
  function fmt(text, values) { return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; }); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function checklistOf(kind) { return DATA.checklists.filter(function (c) { return c.kind === kind; })[0]; }

  /* ---- the draft in IndexedDB (photos kept as Blobs) ---- */
  var DB_NAME = "sanigrid-inspect", STORE = "drafts", KEY = "current";
  var opened = null;
  function database() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () { request.result.createObjectStore(STORE); };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opened;
  }
  function transact(mode, work) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), request = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(request.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function emptyDraft() {
    return {kind: DATA.checklists[0].kind, level: "community", inspector: DATA.inspector, results: {},
            emergency: [], notes: "", point: null, photos: [], at: null, pending: false};
  }
  var draft = emptyDraft();
  function keep() {
    return transact("readwrite", function (s) { return s.put(draft, KEY); })
      .then(function () { status(T.draft_saved); });
  }
  function forget() { return transact("readwrite", function (s) { return s.delete(KEY); }); }

  function status(text) { $("sg-draft-state").textContent = text; }
  function problem(text) { $("sg-problem").textContent = text || ""; }

  /* ---- the form drawn from the draft ---- */
  function fillSelect(select, options, chosen) {
    select.textContent = "";
    options.forEach(function (o) {
      var option = el("option", {value: o.key}, o.label);
      if (o.key === chosen) { option.selected = true; }
      select.appendChild(option);
    });
  }

  function drawItems() {
    var list = checklistOf(draft.kind), items = $("sg-items");
    items.textContent = "";
    $("sg-checklist-version").textContent = list.name + " · v" + list.version;
    list.items.forEach(function (item) {
      var row = el("li", {"data-key": item.key, "class": "sg-item"});
      row.appendChild(el("span", {"class": "sg-item-label"}, item.shown));
      row.appendChild(el("span", {"class": "sg-item-weight"}, T.weight + " " + item.weight));
      var choices = el("span", {"class": "sg-choices", role: "radiogroup"});
      ["pass", "fail", "na"].forEach(function (value) {
        var label = el("label", {"class": "sg-choice sg-" + value});
        var input = el("input", {type: "radio", name: "r-" + item.key, value: value});
        input.checked = draft.results[item.key] === value;
        label.appendChild(input);
        label.appendChild(document.createTextNode(T[value]));
        choices.appendChild(label);
      });
      row.appendChild(choices);
      var urgent = el("label", {"class": "sg-emergency"});
      var box = el("input", {type: "checkbox", name: "e-" + item.key});
      box.checked = draft.emergency.indexOf(item.key) >= 0;
      urgent.appendChild(box);
      urgent.appendChild(document.createTextNode(T.emergency));
      urgent.hidden = draft.results[item.key] !== "fail";
      row.appendChild(urgent);
      items.appendChild(row);
    });
  }

  function drawPosition() {
    var p = draft.point, shown = $("sg-position");
    if (!p) { shown.textContent = T.no_position; return; }
    var datum = p.source === "gps" ? T.position_wgs84
      : $("sg-crs").querySelector('option[value="' + (p.crs || "") + '"]').textContent;
    shown.textContent = datum + ": " + p.lon.toFixed(6) + ", " + p.lat.toFixed(6) +
      (p.accuracy ? " · " + fmt(T.accuracy, {m: Math.round(p.accuracy)}) : "");
  }

  function drawPhotos() {
    var list = $("sg-photo-list");
    list.textContent = "";
    draft.photos.forEach(function (photo, i) {
      var row = el("li", {"class": "sg-photo"});
      var image = el("img", {alt: photo.name, width: "72", height: "72"});
      var reader = new FileReader();
      reader.onload = function () { image.src = reader.result; };
      reader.readAsDataURL(photo.blob);
      row.appendChild(image);
      row.appendChild(el("span", {}, photo.name + " · " + (photo.blob.size / 1048576).toFixed(1) + " MB"));
      var remove = el("button", {type: "button", "data-photo": String(i)}, T.remove);
      row.appendChild(remove);
      list.appendChild(row);
    });
  }

  function drawAll() {
    fillSelect($("sg-kind"), DATA.checklists.map(function (c) { return {key: c.kind, label: c.label}; }), draft.kind);
    fillSelect($("sg-level"), DATA.levels, draft.level);
    $("sg-inspector").value = draft.inspector || "";
    $("sg-notes").value = draft.notes || "";
    drawItems();
    drawPosition();
    drawPhotos();
    if (draft.point) { describePlace(); }
  }

  /* ---- where: the phone's position, or coordinates with their datum ---- */
  function describePlace() {
    var p = draft.point, shown = $("sg-located");
    var query = "lon=" + encodeURIComponent(p.lon) + "&lat=" + encodeURIComponent(p.lat) +
      (p.crs ? "&crs=" + encodeURIComponent(p.crs) : "");
    fetch("/api/v1/locate?" + query, {credentials: "same-origin"}).then(function (r) {
      return r.json().then(function (body) { return {status: r.status, body: body}; });
    }).then(function (answer) {
      if (answer.status !== 200) { shown.textContent = T.outside; return; }
      var b = answer.body, leader = (b.people || []).filter(function (x) { return x.role === "leader"; })[0];
      var party = (b.place && b.place.name) || (b.frontage && b.frontage.unit_name) || (leader && leader.name) || "";
      shown.textContent = T.grid + " " + b.grid.code + " " + (b.grid.name || "") +
        (party ? " · " + T.answers + ": " + party : "");
    }).catch(function () { shown.textContent = ""; });   // offline: the server locates it on sending
  }

  function setPoint(point) {
    draft.point = point;
    drawPosition();
    describePlace();
    keep();
  }

  $("sg-locate-me").addEventListener("click", function () {
    if (!navigator.geolocation) { problem(fmt(T.position_failed, {reason: "-"})); return; }
    navigator.geolocation.getCurrentPosition(function (found) {
      problem("");
      setPoint({lon: found.coords.longitude, lat: found.coords.latitude, crs: "", source: "gps",
                accuracy: found.coords.accuracy});
    }, function (error) {
      problem(fmt(T.position_failed, {reason: error.message || error.code}));
      $("sg-manual").open = true;
    }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 60000});
  });

  $("sg-set-point").addEventListener("click", function () {
    var lon = Number($("sg-lon").value.trim()), lat = Number($("sg-lat").value.trim());
    if (!$("sg-lon").value.trim() || !$("sg-lat").value.trim() || !isFinite(lon) || !isFinite(lat)) {
      problem(T.bad_number);
      return;
    }
    problem("");
    setPoint({lon: lon, lat: lat, crs: $("sg-crs").value, source: "manual", accuracy: null});
  });

  /* ---- answers, notes, photos: every change goes to the draft at once ---- */
  $("sg-kind").addEventListener("change", function () {
    draft.kind = this.value;
    draft.results = {};
    draft.emergency = [];
    drawItems();
    keep();
  });
  $("sg-level").addEventListener("change", function () { draft.level = this.value; keep(); });
  $("sg-inspector").addEventListener("change", function () { draft.inspector = this.value.trim(); keep(); });
  $("sg-notes").addEventListener("change", function () { draft.notes = this.value; keep(); });

  $("sg-items").addEventListener("change", function (event) {
    var input = event.target, row = input.closest("li"), key = row.getAttribute("data-key");
    if (input.type === "radio") {
      draft.results[key] = input.value;
      row.querySelector(".sg-emergency").hidden = input.value !== "fail";
      if (input.value !== "fail") { draft.emergency = draft.emergency.filter(function (k) { return k !== key; }); }
    } else if (input.checked) {
      draft.emergency.push(key);
    } else {
      draft.emergency = draft.emergency.filter(function (k) { return k !== key; });
    }
    keep();
  });

  $("sg-all-pass").addEventListener("click", function () {
    checklistOf(draft.kind).items.forEach(function (item) {
      if (!draft.results[item.key]) { draft.results[item.key] = "pass"; }
    });
    drawItems();
    keep();
  });

  $("sg-photos").addEventListener("change", function () {
    var files = Array.prototype.slice.call(this.files);
    this.value = "";
    problem("");
    for (var i = 0; i < files.length; i += 1) {
      if (draft.photos.length >= DATA.max_photos) { problem(fmt(T.too_many_photos, {n: DATA.max_photos})); break; }
      if (files[i].size > DATA.max_photo_bytes) {
        problem(fmt(T.photo_too_big, {name: files[i].name, mb: Math.round(DATA.max_photo_bytes / 1048576)}));
        continue;
      }
      draft.photos.push({name: files[i].name, blob: files[i]});
    }
    drawPhotos();
    keep();
  });

  $("sg-photo-list").addEventListener("click", function (event) {
    var index = event.target.getAttribute("data-photo");
    if (index === null) { return; }
    draft.photos.splice(Number(index), 1);
    drawPhotos();
    keep();
  });

  $("sg-discard").addEventListener("click", function () {
    forget().then(function () {
      draft = emptyDraft();
      drawAll();
      $("sg-located").textContent = "";
      status("");
      problem("");
    });
  });

  /* ---- sending ---- */
  function missing() {
    var items = checklistOf(draft.kind).items;
    if (!draft.inspector) { return T.inspector; }
    if (!draft.point) { return T.need_position; }
    var open = items.filter(function (i) { return !draft.results[i.key]; }).length;
    return open ? fmt(T.missing_items, {n: open}) : null;
  }

  function body() {
    var out = {kind: draft.kind, level: draft.level, inspector: draft.inspector, at: draft.at,
               lon: draft.point.lon, lat: draft.point.lat, results: draft.results, emergency: draft.emergency};
    if (draft.point.crs) { out.crs = draft.point.crs; }
    if (draft.notes) { out.notes = draft.notes; }
    return out;
  }

  function headers() {
    var tag = document.querySelector('meta[name="csrf-token"]');
    return tag ? {"X-CSRF-Token": tag.getAttribute("content")} : {};
  }

  /* A send whose answer never came: look for it on the server (same inspector, kind and time). */
  function arrived() {
    var at = new Date(draft.at);
    var query = "since=" + encodeURIComponent(new Date(at.getTime() - 1000).toISOString()) +
      "&until=" + encodeURIComponent(new Date(at.getTime() + 1000).toISOString()) + "&kind=" + draft.kind;
    return fetch("/api/v1/inspections?" + query, {credentials: "same-origin"}).then(function (r) {
      if (r.status !== 200) { return null; }
      return r.json().then(function (page) {
        return page.features.filter(function (f) {
          return f.properties.inspector === draft.inspector && sameResults(f.properties.results || {});
        })[0] || null;
      });
    });
  }
  function sameResults(stored) {
    var keys = Object.keys(draft.results);
    return keys.length === Object.keys(stored).length &&
      keys.every(function (k) { return stored[k] === draft.results[k]; });
  }

  function post() {
    var data = new FormData();
    data.append("inspection", JSON.stringify(body()));
    draft.photos.forEach(function (photo) { data.append("photo", photo.blob, photo.name); });
    return fetch("/api/v1/inspections", {method: "POST", body: data, headers: headers(),
                                          credentials: "same-origin"})
      .then(function (r) { return r.json().then(function (b) { return {status: r.status, body: b}; }); });
  }

  function refusal(answer) {
    var lines = [T.refused + ": " + (answer.body.detail || answer.body.title || answer.status)];
    (answer.body.problems || []).forEach(function (p) { lines.push("• " + (p.path ? p.path + ": " : "") + p.reason); });
    return lines.join("\n");
  }

  var sending = false;
  function send() {
    if (sending) { return; }
    var lacking = missing();
    if (lacking) { problem(lacking); return; }
    sending = true;
    problem("");
    status(T.sending);
    $("sg-send").disabled = true;
    var first = draft.pending ? (status(T.check_sent), arrived()) : Promise.resolve(null);
    first.then(function (found) {
      if (found) { status(T.already_sent); return {status: 201, body: found, known: true}; }
      draft.at = draft.at || new Date().toISOString();
      draft.pending = true;   // from here on the server may have it
      return keep().then(post);
    }).then(function (answer) {
      if (answer.status === 201) { return done(answer.body); }
      draft.pending = false;   // refused: nothing was stored
      keep();
      problem(refusal(answer));
    }).catch(function () {
      status(T.offline);   // no answer: the draft stays, marked pending, and goes again when online
    }).then(function () {
      sending = false;
      $("sg-send").disabled = false;
    });
  }

  function done(feature) {
    return forget().then(function () {
      var p = feature.properties, shown = $("sg-sent");
      form.hidden = true;
      shown.hidden = false;
      shown.textContent = "";
      shown.appendChild(el("h2", {}, T.sent + " " + p.id));
      shown.appendChild(el("p", {"id": "sg-sent-score"}, T.score + ": " + (p.score === null ? "—" : p.score)));
      var cases = feature.cases || (p.cases || []).map(function (id) {   // a found earlier send: ids only
        return {properties: {id: id, category_label: "", deadline: ""}};
      });
      shown.appendChild(el("h3", {}, cases.length ? T.cases : T.no_cases));
      var list = el("ul", {"id": "sg-sent-cases"});
      cases.forEach(function (c) {
        var row = el("li", {});
        var link = el("a", {href: "/cases/" + encodeURIComponent(c.properties.id)}, c.properties.id);
        row.appendChild(link);
        if (c.properties.deadline) {
          row.appendChild(document.createTextNode(" " + c.properties.category_label + " · " + T.deadline + " " +
                                                  c.properties.deadline.slice(0, 16).replace("T", " ")));
        }
        list.appendChild(row);
      });
      shown.appendChild(list);
      var again = el("button", {type: "button", id: "sg-again"}, T["new"]);
      again.addEventListener("click", function () {
        draft = emptyDraft();
        drawAll();
        $("sg-located").textContent = "";
        status("");
        shown.hidden = true;
        form.hidden = false;
      });
      shown.appendChild(again);
    });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); send(); });
  window.addEventListener("online", function () { if (draft.pending) { send(); } });

  transact("readonly", function (s) { return s.get(KEY); }).then(function (kept) {
    if (kept) {
      draft = kept;
      status(T.draft_restored);
    }
    drawAll();
    if (kept && kept.pending && navigator.onLine) { send(); }
  }).catch(function () { drawAll(); });
}());
