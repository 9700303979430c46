/* sanigrid viewer editing: an editor signed in on the sign-in page (a session cookie; every write
 * then carries the page's CSRF token in X-CSRF-Token) or who pastes an API token here (kept in
 * sessionStorage for this tab only) draws a new grid or reshapes one with Leaflet.draw, and saves
 * through /api/v1/grids.
 * Validation messages (overlaps which grid, outside which community) show in the edit panel;
 * a version conflict (412) says so and reloads the grid's current shape. */
(function () {
  "use strict";
  var S = window.sanigrid;
  var KEY = "sanigrid.token";   // read by sanigrid.authHeaders too
  var t = S.t, esc = S.esc;

  function meta(name) {
    var tag = document.querySelector('meta[name="' + name + '"]');
    return tag ? tag.getAttribute("content") : "";
  }
  /* The session's role when the page was opened signed in (editor or admin may edit). */
  function sessionEditor() { return ["editor", "admin"].indexOf(meta("sanigrid-role")) >= 0; }
  function token() { return sessionStorage.getItem(KEY) || (sessionEditor() ? "session" : null); }

  function send(method, url, body, etag) {
    var headers = {"Content-Type": "application/json"};
    if (sessionStorage.getItem(KEY)) { headers.Authorization = "Bearer " + sessionStorage.getItem(KEY); }
    else { headers["X-CSRF-Token"] = meta("csrf-token"); }
    if (etag) { headers["If-Match"] = etag; }
    return S.getJSON(url, {method: method, headers: headers, body: JSON.stringify(body)});
  }

  function problemText(answer) {
    if (answer.status === 401 || answer.status === 403) {
      return t("refused") + ": " + t("token_refused") + " (" + (answer.body.detail || answer.status) + ")";
    }
    var lines = [answer.body.detail || answer.body.title || String(answer.status)];
    (answer.body.problems || []).forEach(function (p) { lines.push("• " + (p.code ? p.code + ": " : "") + p.reason); });
    return t("refused") + ": " + lines.join("\n");
  }

  /* Full precision: Leaflet rounds to 6 decimals by default (~10 cm), enough to make a reshaped grid
   * overlap its neighbour by a square metre or two. The register keeps 7. */
  function geometryOf(layer) { return layer.toGeoJSON(false).geometry; }

  var Editor = L.Control.extend({
    options: {position: "topleft"},
    onAdd: function (map) {
      this._map = map;
      this._div = L.DomUtil.create("div", "sg-edit leaflet-bar");
      L.DomEvent.disableClickPropagation(this._div);
      L.DomEvent.disableScrollPropagation(this._div);
      this._drawn = L.featureGroup().addTo(map);
      map.on(L.Draw.Event.CREATED, this._created, this);
      map.on(L.Draw.Event.DRAWSTART, function () { S.editing = true; });
      map.on(L.Draw.Event.DRAWSTOP, function () { S.editing = Boolean(this._layer); }, this);
      this._render();
      return this._div;
    },
    _render: function () {
      if (!token()) {
        this._div.innerHTML = '<details id="sg-signin"><summary>' + esc(t("sign_in")) + "</summary>" +
          '<input type="password" id="sg-token" placeholder="' + esc(t("token")) + '">' +
          '<button type="button" id="sg-signin-button">' + esc(t("sign_in")) + "</button></details>";
        this._div.querySelector("#sg-signin-button").addEventListener("click", this._signIn.bind(this));
        if (this._draw) { this._map.removeControl(this._draw); this._draw = null; }
        return;
      }
      this._div.innerHTML = '<div id="sg-editor"><span class="sg-ok">' + esc(t("signed_in")) + "</span> " +
        '<button type="button" id="sg-signout">' + esc(t("sign_out")) + '</button><div id="sg-edit-form"></div>' +
        '<div class="sg-messages" id="sg-messages"></div></div>';
      this._div.querySelector("#sg-signout").addEventListener("click", this._signOut.bind(this));
      if (!this._draw) {
        this._draw = new L.Control.Draw({
          position: "topleft",
          draw: {polygon: {showArea: false, allowIntersection: false}, rectangle: {showArea: false},
                 polyline: false, circle: false, marker: false, circlemarker: false},
          edit: false
        });
        this._map.addControl(this._draw);
      }
    },
    _signIn: function () {
      var value = this._div.querySelector("#sg-token").value.trim();
      if (value) {
        sessionStorage.setItem(KEY, value);
        this._render();
        if (S.grids) { S.grids.refresh(); }   // with private reads, the grids come only now
      }
    },
    _signOut: function () {
      if (!sessionStorage.getItem(KEY)) {   // a cookie session ends on the server
        fetch("/logout", {method: "POST", headers: {"X-CSRF-Token": meta("csrf-token")}})
          .then(function () { window.location.reload(); });
        return;
      }
      sessionStorage.removeItem(KEY);
      this._clear();
      this._render();
    },
    message: function (text, ok) {
      var box = this._div.querySelector("#sg-messages");
      if (box) { box.textContent = text; box.className = "sg-messages" + (ok ? " sg-ok" : ""); }
    },
    _clear: function () {
      if (this._layer && this._layer.editing) { this._layer.editing.disable(); }
      this._drawn.clearLayers();
      this._layer = null;
      this._etag = null;
      this._code = null;
      S.editing = false;
      var form = this._div.querySelector("#sg-edit-form");
      if (form) { form.innerHTML = ""; }
    },
    _form: function (fields) {
      var form = this._div.querySelector("#sg-edit-form");
      form.innerHTML = fields + '<button type="button" id="sg-save">' + esc(t("save")) + "</button>";
      return form;
    },
    /* A new shape: ask for its name and community, then POST it. */
    _created: function (e) {
      this._clear();
      this._layer = e.layer.addTo(this._drawn);
      S.editing = true;
      var form = this._form('<input id="sg-new-name" placeholder="' + esc(t("grid_name")) + '">' +
        '<input id="sg-new-community" placeholder="' + esc(t("community")) + '">' +
        '<input id="sg-new-households" type="number" min="0" placeholder="' + esc(t("households")) + '">');
      form.querySelector("#sg-save").addEventListener("click", this._saveNew.bind(this));
      this.message(t("draw_hint"));
    },
    _saveNew: function () {
      var self = this, households = this._div.querySelector("#sg-new-households").value;
      var props = {name: this._div.querySelector("#sg-new-name").value.trim(),
                   community: this._div.querySelector("#sg-new-community").value.trim()};
      if (households) { props.households = parseInt(households, 10); }
      send("POST", S.api + "/grids", {type: "Feature", properties: props, geometry: geometryOf(this._layer)})
        .then(function (answer) { self._saved(answer); });
    },
    /* Reshape an existing grid: load it with its ETag and make its outline editable. */
    reshape: function (code) {
      var self = this;
      this._clear();
      this._map.closePopup();
      return S.getJSON(S.api + "/grids/" + code).then(function (answer) {
        if (!answer.ok) { self._refused(answer); return; }
        self._code = code;
        self._etag = answer.headers.get("ETag");
        L.geoJSON(answer.body, {style: {color: "#0050b3", weight: 3, fillOpacity: 0.1}}).eachLayer(function (layer) {
          self._layer = layer.addTo(self._drawn);
        });
        self._layer.editing.enable();
        S.editing = true;
        self._form("<b>" + esc(code) + "</b> ").querySelector("#sg-save")
          .addEventListener("click", self._saveShape.bind(self));
        self.message(t("draw_hint"));
      });
    },
    _saveShape: function () {
      var self = this, code = this._code;
      send("PATCH", S.api + "/grids/" + code, {geometry: geometryOf(this._layer)}, this._etag)
        .then(function (answer) {
          if (answer.status === 412) {
            self.reshape(code).then(function () { self.message(t("conflict") + "\n" + (answer.body.detail || "")); });
            return;
          }
          self._saved(answer);
        });
    },
    /* A refusal shows in the panel and on the shape itself, where the editor is looking. */
    _refused: function (answer) {
      var text = problemText(answer);
      this.message(text);
      if (this._layer) {
        this._layer.unbindTooltip().bindTooltip(S.el("div", {className: "sg-lines"}, [text]),
          {permanent: true, direction: "top", className: "sg-refusal"}).openTooltip();
      }
    },
    _saved: function (answer) {
      if (!answer.ok) { this._refused(answer); return; }
      var code = answer.body.properties.code;
      this._clear();
      this.message(t("saved") + " " + code, true);
      S.lastSaved = code;
      if (S.grids) { S.grids.refresh(); }
    }
  });

  /* A signed-in editor gets a "reshape" button in each grid's popup. */
  var plainContent = S.locateContent;
  S.locateContent = function (answer) {
    var content = plainContent(answer);
    if (!token()) { return content; }
    var button = S.el("button", {type: "button", className: "sg-reshape"}, [t("editor")]);
    button.addEventListener("click", function () { S.editor.reshape(answer.grid.code); });
    content.appendChild(button);
    return content;
  };

  S.onSetup = function (map) {
    S.editor = new Editor().addTo(map);
  };
})();
