/* sanigrid map viewer: 门前三包 frontages and key places, fetched by viewport from street zoom on.
 *
 * sanigrid.viewportGeoJSON({url, kind, minZoom, labels, style, icons}) is the layer layers/viewer.py
 * (ViewportGeoJson) places: below minZoom it draws nothing and asks nothing; from minZoom on it asks
 * url?bbox=minx,miny,maxx,maxy for the view padded by a quarter (following `next` pages) unless an
 * earlier answer already covers the view, and draws each feature once (by `ref`). kind "frontages":
 * lines in the page's status colours (sanigrid.colors("frontages")); kind "places": an icon per kind.
 * Every value in a popup is a text node (sanigrid.el).
 *
 * window.sanigrid.stats.frontages / .places: requests, drawn, pending, errors, idle (nothing in flight).
 */
(function () {
  "use strict";
  var S = window.sanigrid = window.sanigrid || {};
  var PAD = 0.25;              // a pan of a quarter screen needs no new request
  var MAX_FEATURES = 20000;    // past this many, forget what was drawn and start again from the view
  S.legendSections = S.legendSections || [];
  S.layers = S.layers || {};

  function label(labels, key, fallback) {
    var value = labels[key];
    return value == null ? fallback : value;
  }

  function list(value) {
    if (value == null || value === "") { return []; }
    return Array.isArray(value) ? value : String(value).split(",");
  }

  /* A table of (field label, value) rows; empty values are left out; a node value is put in as is. */
  function table(rows) {
    var out = document.createElement("table");
    rows.forEach(function (row) {
      var value = row[1];
      if (value == null || value === "" || (Array.isArray(value) && !value.length)) { return; }
      var tr = out.insertRow();
      tr.appendChild(S.el("th", {}, [row[0]]));
      var cell = tr.insertCell();
      if (typeof value === "object" && value.nodeType) { cell.appendChild(value); } else { cell.textContent = String(value); }
    });
    return out;
  }

  function phoneLink(phone) {
    return phone ? S.el("a", {href: "tel:" + phone}, [String(phone)]) : null;
  }

  function day(value) { return value ? String(value).slice(0, 10) : null; }

  S.statusOf = function (p) { return p.effective_status || p.status || ""; };

  S.frontagePopup = function (p, labels) {
    var status = S.statusOf(p);
    var items = list(p.items).map(function (k) { k = String(k).trim(); return label(labels, "item_" + k, k); });
    var length = typeof p.length_m === "number" ? p.length_m.toFixed(1) : p.length_m;
    return S.el("div", {className: "sg-popup sg-frontage", data: {ref: p.ref || "", status: status}}, [
      S.el("strong", {}, [p.unit_name || p.ref || ""]),
      table([[labels.unit_kind, label(labels, "kind_" + p.unit_kind, p.unit_kind)],
             [labels.status, label(labels, "status_" + status, status)], [labels.items, items.join("、")],
             [labels.signed_on, day(p.signed_on)], [labels.expires_on, day(p.expires_on)],
             [labels.contact, p.contact], [labels.phone, phoneLink(p.phone)], [labels.address, p.address],
             [labels.road, p.road], [labels.length_m, length], [labels.grids, list(p.grids).join("、")]])]);
  };

  S.placePopup = function (p, labels) {
    return S.el("div", {className: "sg-popup sg-place", data: {ref: p.ref || "", kind: p.kind || ""}}, [
      S.el("strong", {}, [p.name || p.ref || ""]),
      table([[labels.kind, label(labels, "kind_" + p.kind, p.kind)], [labels.operator, p.operator],
             [labels.contact, p.contact], [labels.phone, phoneLink(p.phone)], [labels.address, p.address],
             [labels.licence_no, p.licence_no], [labels.licence_expires, day(p.licence_expires)],
             [labels.health_certs, p.health_certs], [labels.staff, p.staff], [labels.grid, p.grid]])]);
  };

  function classSafe(text) { return String(text == null ? "" : text).replace(/[^A-Za-z0-9_-]/g, ""); }

  /* How each kind of layer draws its features: GeoJSON options and its legend's entries. */
  var DRAW = {
    frontages: function (layer) {
      var o = layer.options, colors = S.colors("frontages");
      return {
        options: {
          renderer: layer._renderer,
          style: function (f) {
            var status = S.statusOf(f.properties);
            var color = colors[status] || "#3388ff";
            return Object.assign({}, o.style, {color: color, fillColor: color, bubblingMouseEvents: false,
                                               className: "sg-frontage sg-frontage-" + classSafe(status)});
          },
          onEachFeature: function (f, l) {
            l.bindPopup(function () { return S.frontagePopup(f.properties, o.labels); }, {maxWidth: 360});
          }
        },
        legend: Object.keys(colors).map(function (k) { return {label: label(o.labels, "status_" + k, k), color: colors[k]}; })
      };
    },
    places: function (layer) {
      var o = layer.options, icons = o.icons;
      var iconOf = function (kind) {
        var url = Object.prototype.hasOwnProperty.call(icons, kind) ? icons[kind] : icons["*"];
        return L.icon({iconUrl: url, iconSize: [28, 28], iconAnchor: [14, 14], popupAnchor: [0, -14],
                       className: "sg-place sg-place-" + classSafe(kind)});
      };
      var marker = function (f, latlng) {
        var p = f.properties;
        return L.marker(latlng, {icon: iconOf(p.kind), title: p.name || "", alt: label(o.labels, "kind_" + p.kind, p.kind || ""),
                                 keyboard: true});
      };
      return {
        options: {
          renderer: layer._renderer,
          style: function () { return o.style; },
          pointToLayer: marker,
          onEachFeature: function (f, l) {
            var popup = function () { return S.placePopup(f.properties, o.labels); };
            l.bindPopup(popup, {maxWidth: 360});
            if (f.geometry && f.geometry.type !== "Point") {   // an area: its icon at the middle too
              marker(f, l.getBounds().getCenter()).bindPopup(popup, {maxWidth: 360}).addTo(layer._group);
            }
          }
        },
        legend: Object.keys(icons).filter(function (k) { return k !== "*"; }).map(function (k) {
          return {label: label(o.labels, "kind_" + k, k), icon: icons[k]};
        })
      };
    }
  };

  S.ViewportGeoJSON = L.Layer.extend({
    initialize: function (options) {
      L.setOptions(this, options);
      this.stats = S.stats[options.kind] = {requests: 0, drawn: 0, pending: 0, errors: 0, idle: true};
      this._renderer = L.svg({padding: PAD});
      this._group = L.featureGroup();
      this._draw = DRAW[options.kind](this);
      this._generation = 0;
      this._reset();
      S.layers[options.kind] = this;
      S.legendSections.push({name: options.kind, layer: this, title: label(options.labels, "layer", options.kind),
                             minZoom: options.minZoom, entries: this._draw.legend});
    },
    _reset: function () {
      this._group.clearLayers();
      this._refs = {};
      this._boxes = [];
      this._generation++;
      this.stats.drawn = 0;
    },
    onAdd: function (map) {
      map.on("moveend", this._update, this);
      this._update();
    },
    onRemove: function (map) {
      map.off("moveend", this._update, this);
      map.removeLayer(this._group);
    },
    _update: function () {
      var map = this._map;
      if (!map) { return; }
      if (map.getZoom() < this.options.minZoom) {
        map.removeLayer(this._group);
        this._settle();
        return;
      }
      this._group.addTo(map);
      var view = map.getBounds();
      if (this._boxes.some(function (box) { return box.contains(view); })) { this._settle(); return; }
      var box = view.pad(PAD);
      this._boxes.push(box);
      var bbox = [box.getWest(), box.getSouth(), box.getEast(), box.getNorth()].map(function (n) { return n.toFixed(6); });
      this._fetch(this.options.url + "?bbox=" + bbox.join(","), box, this._generation);
    },
    _fetch: function (url, box, generation) {
      var self = this, stats = this.stats;
      stats.pending++;
      stats.requests++;
      stats.idle = false;
      S.getJSON(url).then(function (answer) {
        if (generation !== self._generation) { return; }
        if (!answer.ok) { throw new Error(answer.status); }
        self._add(answer.body.features || [], box);
        if (answer.body.next) { self._fetch(answer.body.next, box, generation); }
      }).catch(function () {
        stats.errors++;
        self._boxes = self._boxes.filter(function (b) { return b !== box; });   // asked again on the next move
      }).then(function () {
        stats.pending--;
        self._settle();
      });
    },
    _add: function (features, box) {
      if (this.stats.drawn + features.length > MAX_FEATURES) {   // keep what this view needs only
        this._group.clearLayers();
        this._refs = {};
        this._boxes = [box];
        this.stats.drawn = 0;
      }
      var refs = this._refs, fresh = features.filter(function (f) {
        var ref = (f.properties && f.properties.ref) || f.id;
        if (ref == null) { return true; }
        if (refs[ref]) { return false; }
        refs[ref] = true;
        return true;
      });
      if (!fresh.length) { return; }
      L.geoJSON({type: "FeatureCollection", features: fresh}, this._draw.options).addTo(this._group);
      this.stats.drawn += fresh.length;
    },
    _settle: function () {
      if (this.stats.pending !== 0) { return; }
      this.stats.idle = true;
      document.dispatchEvent(new CustomEvent("sanigrid:features", {detail: {kind: this.options.kind, stats: this.stats}}));
    }
  });
  S.viewportGeoJSON = function (options) { return new S.ViewportGeoJSON(options); };
})();
