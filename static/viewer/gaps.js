/* The gap report page: a finding in the list zooms the map to it. Plain Leaflet, no CDN.
 *
 * The page gives the Folium map's variable name in #sg-gap-map[data-map] and each locatable row of
 * #sg-findings its place: data-bounds="minx,miny,maxx,maxy" and data-point="lon,lat" (EPSG:4326).
 * window.sanigrid.gapMap is the map (read by the browser tests).
 */
(function () {
  "use strict";
  var S = window.sanigrid = window.sanigrid || {};
  var MAX_ZOOM = 17;   // a finding of a few m² still shows its neighbourhood

  function numbers(text) { return text.split(",").map(Number); }

  function visible(element) {
    var box = element.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= (window.innerHeight || document.documentElement.clientHeight);
  }

  function show(map, holder, row) {
    var b = numbers(row.dataset.bounds), p = numbers(row.dataset.point);
    var previous = document.querySelector("#sg-findings tr.sg-active");
    if (previous) { previous.classList.remove("sg-active"); }
    row.classList.add("sg-active");
    if (!visible(holder)) { holder.scrollIntoView({block: "start"}); }
    // Padded by its own size: the finding and the grids around it.
    map.fitBounds(L.latLngBounds([[b[1], b[0]], [b[3], b[2]]]).pad(0.5), {maxZoom: MAX_ZOOM, animate: false});
    var label = document.createElement("div");
    label.className = "sg-popup";
    label.textContent = row.cells[0].textContent + (row.cells[3].textContent ? " " + row.cells[3].textContent : "") +
      (row.cells[5].textContent ? " · " + row.cells[5].textContent + " m²" : "");
    L.popup({autoPan: false}).setLatLng([p[1], p[0]]).setContent(label).openOn(map);
    S.lastFinding = {bounds: b, point: p};
  }

  function init() {
    document.querySelectorAll("#sg-findings .sg-kind[data-color]").forEach(function (dot) {
      dot.style.background = dot.dataset.color;
    });
    var holder = document.getElementById("sg-gap-map");
    var map = holder && window[holder.dataset.map];
    if (!map) { return; }
    S.gapMap = map;
    document.querySelectorAll("#sg-findings tr[data-bounds]").forEach(function (row) {
      row.setAttribute("role", "button");
      row.addEventListener("click", function () { show(map, holder, row); });
      row.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); show(map, holder, row); }
      });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
