/* The map of facilities: markers with their index from the page's JSON over the configured
   tiles. The list under the map carries the same facilities, so the page works without it. */
(function () {
  "use strict";
  var element = document.getElementById("facility-map");
  var data = document.getElementById("facility-markers");
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
  markers.forEach(function (facility) {
    var position = [Number(facility.lat), Number(facility.lon)];
    bounds.push(position);
    // Built from text nodes: names and addresses are never read as HTML.
    var popup = document.createElement("div");
    var link = document.createElement("a");
    link.href = facility.url;
    link.textContent = facility.name;
    popup.appendChild(link);
    [
      facility.category,
      element.dataset.indexLabel + ": " + facility.index + " · " +
        element.dataset.countLabel + ": " + facility.count,
      facility.address,
    ].forEach(function (line) {
      popup.appendChild(document.createElement("br"));
      popup.appendChild(document.createTextNode(line));
    });
    L.marker(position, {
      icon: L.divIcon({
        className: "pulse-marker",
        // The index is digits and a separator only; anything else is dropped, never parsed.
        html: String(facility.index).replace(/[^0-9.,]/g, ""),
        iconSize: [40, 24],
      }),
      title: facility.name + " — " + facility.index,
    })
      .bindPopup(popup)
      .addTo(map);
  });
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
})();
