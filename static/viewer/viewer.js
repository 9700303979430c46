/* sanigrid map viewer: grid tiles by zoom, locate on click, search, legend. Plain Leaflet, no CDN.
 *
 * window.sanigrid.stats is read by the browser tests and bench/viewer.py:
 *   idle (no tile request in flight), drawn (grid shapes on the map), tiles (tiles fetched),
 *   idleAt (performance.now() when the last tile of the view was drawn).
 */
(function () {
  "use strict";
  var S = window.sanigrid = window.sanigrid || {};
  S.text = S.text || {};
  S.stats = {idle: false, drawn: 0, tiles: 0, idleAt: null, errors: 0};
  var RINGS_PER_PATH = 100;

  function t(key) { return S.text[key] || key; }
  S.t = t;

  /* The one HTML-escaping helper, for markup the viewer writes itself; data (names, codes, phones)
   * goes into the page as text nodes through el(), never through innerHTML. */
  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  S.esc = esc;

  /* el("b", {className: "x"}, ["text", node]): an element whose strings are text nodes (shown literally). */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === "data") { Object.assign(node.dataset, props.data); } else { node[key] = props[key]; }
    });
    (children || []).forEach(function (child) {
      if (child != null) { node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child))); }
    });
    return node;
  }
  S.el = el;

  /* Status -> colour of a layer ("grids": staffing, "frontages": commitment), read from the page
   * (layers/styles.py LAYER_STATUS_COLORS on the body): the one table, no copy here. */
  S.colors = function (layer) {
    if (!S._colors) {
      var raw = document.body && document.body.dataset.statusColors;
      S._colors = raw ? JSON.parse(raw) : {};
    }
    return S._colors[layer || "grids"] || {};
  };

  /* A signed-in tab sends its token on reads too, so the map works with SANIGRID_PUBLIC_READS=false. */
  S.authHeaders = function () {
    var token = sessionStorage.getItem("sanigrid.token");
    return token ? {"Authorization": "Bearer " + token} : {};
  };

  function getJSON(url, options) {
    options = options || {};
    options.headers = Object.assign(S.authHeaders(), options.headers || {});
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return {ok: response.ok, status: response.status, body: body, headers: response.headers};
      });
    });
  }
  S.getJSON = getJSON;

  S.gridStyle = function (feature) {
    var color = S.colors()[feature.properties.status] || "#3388ff";
    return {color: color, weight: 1, opacity: 0.9, fillColor: color, fillOpacity: 0.25};
  };

  /* Grids drawn from /tiles/grids/{z}/{x}/{y}.geojson: the tiles of the view (and a ring around it),
   * at one tile zoom per map zoom; a grid touching several tiles is drawn once. */
  S.GridTiles = L.Layer.extend({
    initialize: function (options) {
      L.setOptions(this, options);
      this._version = options.version;
      this._group = L.featureGroup();
      this._reset();
    },
    _reset: function () {
      this._group.clearLayers();
      this._codes = {};
      this._requested = {};
      this._pending = 0;
      this._arrived = [];
      this._generation = (this._generation || 0) + 1;
      this._z = null;
      S.stats.drawn = 0;
    },
    onAdd: function (map) {
      this._group.addTo(map);
      map.on("moveend", this._update, this);
      this._update();
    },
    onRemove: function (map) {
      map.off("moveend", this._update, this);
      map.removeLayer(this._group);
      this._reset();
    },
    refresh: function () {
      this._version = String(Date.now());
      this._reset();
      this._update();
    },
    has: function (code) { return Boolean(this._codes[code]); },
    /* Tiles one zoom below the map's: each covers 512 screen pixels, so a view needs a quarter of the
     * requests; their outlines are simplified to one screen pixel (Leaflet's own smoothFactor). */
    _tileZoom: function () {
      var z = Math.round(this._map.getZoom()) - 1;
      return Math.max(this.options.minZoom, Math.min(this.options.maxZoom, z));
    },
    _update: function () {
      var map = this._map;
      if (!map) { return; }
      var z = this._tileZoom();
      if (z !== this._z) { this._reset(); this._z = z; }
      var bounds = map.getBounds().pad(0.1);
      var nw = map.project(bounds.getNorthWest(), z).divideBy(256).floor();
      var se = map.project(bounds.getSouthEast(), z).divideBy(256).floor();
      var last = Math.pow(2, z) - 1;
      var wanted = [];
      for (var x = Math.max(nw.x, 0); x <= Math.min(se.x, last); x++) {
        for (var y = Math.max(nw.y, 0); y <= Math.min(se.y, last); y++) {
          var key = z + "/" + x + "/" + y;
          if (!this._requested[key]) { this._requested[key] = true; wanted.push(key); }
        }
      }
      if (!wanted.length) { this._settle(); return; }
      S.stats.idle = false;
      wanted.forEach(this._fetch, this);
    },
    _fetch: function (key) {
      var self = this, generation = this._generation;
      this._pending++;
      var url = this.options.url.replace("{key}", key) + "?v=" + encodeURIComponent(this._version);
      fetch(url, {headers: S.authHeaders()}).then(function (r) {
        if (!r.ok) { throw new Error(r.status); }
        return r.json();
      }).then(function (data) {
        if (generation === self._generation) { self._arrived.push(data); }
      }).catch(function () {
        S.stats.errors++;
        if (generation === self._generation) { delete self._requested[key]; }
      }).then(function () {
        if (generation !== self._generation) { return; }
        self._pending--;
        S.stats.tiles++;
        if (self._pending === 0) { self._flush(); }
        self._settle();
      });
    },
    /* Draw the tiles of a view together once the last one arrived: each canvas redraw paints every
     * path under the changed area, so one redraw for the whole view instead of one per tile. */
    _flush: function () {
      var arrived = this._arrived;
      this._arrived = [];
      arrived.forEach(this._draw, this);
    },
    /* Grids of one status drawn as multipolygons of at most RINGS_PER_PATH rings: one canvas path per
     * grid (20,000 paths) took 2 s to paint a city-wide view, one path per status 3 s (Chrome's fill
     * of a path with thousands of subpaths is superlinear), 100 rings per path 1 s. Clicks go to the map. */
    _draw: function (data) {
      var codes = this._codes, parts = {}, count = 0;
      data.features.forEach(function (f) {
        var code = f.properties.code;
        if (codes[code]) { return; }
        codes[code] = true;
        count++;
        var status = f.properties.status, g = f.geometry;
        var rings = parts[status] = parts[status] || [];
        if (g.type === "Polygon") { rings.push(g.coordinates); } else { rings.push.apply(rings, g.coordinates); }
      });
      if (!count) { return; }
      var features = [], chunk = RINGS_PER_PATH;
      Object.keys(parts).forEach(function (status) {
        for (var i = 0; i < parts[status].length; i += chunk) {
          features.push({type: "Feature", properties: {status: status},
                         geometry: {type: "MultiPolygon", coordinates: parts[status].slice(i, i + chunk)}});
        }
      });
      L.geoJSON({type: "FeatureCollection", features: features},
                {style: S.gridStyle, renderer: this.options.renderer}).addTo(this._group);
      S.stats.drawn += count;
    },
    /* Idle once no tile is in flight and the canvas has painted (Leaflet redraws in an animation
     * frame; the second frame starts after that paint). */
    _settle: function () {
      var self = this;
      if (this._pending !== 0) { return; }
      requestAnimationFrame(function () {
        requestAnimationFrame(function () {
          if (self._pending !== 0) { return; }
          S.stats.idle = true;
          S.stats.idleAt = performance.now();
          document.dispatchEvent(new CustomEvent("sanigrid:idle", {detail: S.stats}));
        });
      });
    }
  });

  /* A GeoJSON layer fetched from the app only when it is switched on (e.g. the gap report). */
  S.RemoteGeoJSON = L.GeoJSON.extend({
    onAdd: function (map) {
      L.GeoJSON.prototype.onAdd.call(this, map);
      if (this._fetched) { return; }
      this._fetched = true;
      var self = this;
      getJSON(this.options.url).then(function (answer) {
        if (answer.ok) { self.addData(answer.body); }
      });
    }
  });
  S.remoteGeoJSON = function (options) {
    var style = options.style || {};
    return new S.RemoteGeoJSON(null, {
      url: options.url,
      style: function () { return style; },
      onEachFeature: function (feature, layer) {
        var p = feature.properties || {};
        var label = options.label ? p[options.label] : "";
        layer.bindTooltip(el("span", {}, [(label == null ? "" : label) + " " + (p.code || p.region || "")]));
      }
    });
  };

  function personLine(p) {
    var phone = p.phone ? [" ", el("a", {href: "tel:" + p.phone}, [p.phone])] : [];
    var backup = p.backup ? " · " + t("backup") + " " + (p.backup.name || "") + " " + p.backup.phone : null;
    return el("li", {}, [(S.text["role_" + p.role] || p.role_label) + " " + p.name].concat(phone, [backup]));
  }

  /* The popup of a /api/v1/locate answer, as DOM nodes: every name and code is text. */
  S.locateContent = function (answer) {
    var g = answer.grid;
    var region = [answer.district, answer.street, answer.community].map(function (r) {
      return r.name || r.code;
    }).join(" / ");
    var people = answer.people.length ? el("ul", {}, answer.people.map(personLine))
      : el("p", {className: "sg-warn"}, [t("no_people")]);
    return el("div", {className: "sg-popup", data: {grid: g.code}}, [
      el("strong", {}, [g.name]), el("br"), el("a", {href: S.gridUrl.replace("{code}", encodeURIComponent(g.code))}, [g.code]),
      el("br"), region, el("br"), t("households") + ": " + (g.households == null ? "" : g.households), people]);
  };

  /* Which grid holds this point, and who is responsible: the /api/v1/locate answer in a popup. */
  S.locate = function (map, latlng) {
    var url = S.api + "/locate?lon=" + latlng.lng.toFixed(7) + "&lat=" + latlng.lat.toFixed(7);
    return getJSON(url).then(function (answer) {
      var content = answer.ok ? S.locateContent(answer.body)
        : el("div", {className: "sg-popup sg-none"}, [t("no_grid_here")]);
      L.popup({maxWidth: 360}).setLatLng(latlng).setContent(content).openOn(map);
      S.lastLocate = answer.ok ? answer.body : null;
      return answer;
    });
  };

  /* The legend: grids by staffing status, then a section per street-zoom layer (S.legendSections, each
   * {layer, title, minZoom, entries: [{label, color | icon}]}) shown while its layer is drawn. */
  S.legendSections = S.legendSections || [];
  S.Legend = L.Control.extend({
    options: {position: "bottomright"},
    onAdd: function (map) {
      var div = L.DomUtil.create("div", "sg-legend leaflet-bar"), colors = S.colors("grids"), parts = [];
      div.appendChild(el("strong", {}, [t("legend")]));
      Object.keys(colors).forEach(function (k) {
        var swatch = el("i");
        swatch.style.background = colors[k];   // a CSSOM property: no inline style attribute (CSP)
        div.appendChild(el("div", {}, [swatch, t("status_" + k)]));
      });
      S.legendSections.forEach(function (section) {
        var part = el("div", {className: "sg-legend-part", data: {layer: section.name}}, [el("strong", {}, [section.title])]);
        section.entries.forEach(function (entry) {
          var mark = entry.icon ? el("img", {src: entry.icon, alt: "", className: "sg-legend-icon"})
            : el("i", {className: "sg-legend-line"});
          if (!entry.icon) { mark.style.background = entry.color; }
          part.appendChild(el("div", {}, [mark, entry.label]));
        });
        div.appendChild(part);
        parts.push([part, section]);
      });
      var update = function () {
        parts.forEach(function (p) { p[0].hidden = !map.hasLayer(p[1].layer) || map.getZoom() < p[1].minZoom; });
      };
      map.on("zoomend overlayadd overlayremove", update);
      update();
      return div;
    }
  });

  /* Search box: grid code, grid name or a person's name; picking a result flies to the grid. */
  S.Search = L.Control.extend({
    options: {position: "topleft"},
    onAdd: function (map) {
      var div = L.DomUtil.create("div", "sg-search leaflet-bar");
      div.innerHTML = '<input type="search" id="sg-search" placeholder="' + esc(t("search_placeholder")) +
        '" aria-label="' + esc(t("search")) + '"><ul id="sg-results"></ul>';
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      var input = div.querySelector("input"), list = div.querySelector("ul"), timer = null;
      var run = function () {
        var q = input.value.trim();
        if (!q) { list.replaceChildren(); return; }
        getJSON(S.api + "/search?q=" + encodeURIComponent(q)).then(function (answer) {
          var found = answer.ok ? answer.body : [];
          list.replaceChildren(found.length ? "" : el("li", {className: "sg-none"}, [t("nothing_found")]));
          found.forEach(function (hit) {
            var who = hit.people.length ? " · " + hit.people.join("、") : "";
            var li = el("li", {className: "sg-hit", data: {code: hit.code}}, [el("b", {}, [hit.name]), " " + hit.code + who]);
            list.appendChild(li);
            li.addEventListener("click", function () { S.flyTo(map, hit); list.replaceChildren(); });
          });
          if (found.length === 1) { S.flyTo(map, found[0]); }
        });
      };
      input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 250); });
      input.addEventListener("keydown", function (e) { if (e.key === "Enter") { clearTimeout(timer); run(); } });
      return div;
    }
  });

  S.flyTo = function (map, hit) {
    var b = hit.bbox;
    map.once("moveend", function () { S.locate(map, L.latLng(hit.point[1], hit.point[0])); });
    map.flyToBounds([[b[1], b[0]], [b[3], b[2]]], {maxZoom: 17, duration: 0.6});
  };

  /* Wire a folium map: legend, search, click → locate (unless an editor is drawing). */
  S.setup = function (map, grids) {
    S.map = map;
    S.grids = grids;
    new S.Legend().addTo(map);
    new S.Search().addTo(map);
    map.on("click", function (e) { if (!S.editing) { S.locate(map, e.latlng); } });
    if (S.onSetup) { S.onSetup(map, grids); }
  };
})();
