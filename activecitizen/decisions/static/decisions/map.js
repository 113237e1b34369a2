/* The map of decisions: a marker per decision, coloured by its status, over the configured
   tiles. The list under the map carries the same decisions, so the page works without it. */
(function () {
  "use strict";
  var element = document.getElementById("decision-map");
  var data = document.getElementById("decision-markers");
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
  markers.forEach(function (decision) {
    var position = [Number(decision.lat), Number(decision.lon)];
    bounds.push(position);
    var marker = L.circleMarker(position, {
      radius: 9,
      color: "#fff",
      weight: 2,
      fillColor: decision.colour,
      fillOpacity: 0.95,
    });
    if (decision.url) {
      // Built from text nodes: titles are never read as HTML.
      var popup = document.createElement("div");
      var link = document.createElement("a");
      link.href = decision.url;
      link.textContent = decision.title;
      popup.appendChild(link);
      popup.appendChild(document.createElement("br"));
      popup.appendChild(document.createTextNode(decision.status_label));
      marker.bindPopup(popup);
    }
    marker.addTo(map);
  });
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
})();
