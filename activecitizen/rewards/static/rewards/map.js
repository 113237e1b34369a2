/* The map of issue points: markers from the page's JSON over the configured tiles.
   The list under the map carries the same points, so the page works without this script. */
(function () {
  "use strict";
  var element = document.getElementById("issue-point-map");
  var data = document.getElementById("issue-point-markers");
  if (!element || !data || typeof L === "undefined") return;
  var markers = JSON.parse(data.textContent);
  if (!markers.length) return;
  element.hidden = false;
  var map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(element.dataset.tileUrl, {
    maxZoom: 19,
    attribution: element.dataset.attribution,
  }).addTo(map);
  var bounds = [];
  markers.forEach(function (point) {
    var position = [Number(point.lat), Number(point.lon)];
    bounds.push(position);
    // The popup is built from text nodes: names and addresses are never read as HTML.
    var popup = document.createElement("div");
    var name = document.createElement("strong");
    name.textContent = point.name;
    popup.appendChild(name);
    [point.partner, point.address, point.hours].forEach(function (line) {
      if (!line) return;
      popup.appendChild(document.createElement("br"));
      popup.appendChild(document.createTextNode(line));
    });
    L.circleMarker(position, { radius: 8, color: "#b00d27", weight: 2, fillOpacity: 0.6 })
      .bindPopup(popup)
      .addTo(map);
  });
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
})();
