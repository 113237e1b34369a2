// "Use where I am now as my home": fills the home point fields from the browser's location.
// Without JavaScript or geolocation the button stays hidden and the fields are typed in.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("home-point-locate");
    var lat = document.getElementById("id_home_lat");
    var lon = document.getElementById("id_home_lon");
    if (!box || !lat || !lon || !("geolocation" in navigator)) return;
    var status = box.querySelector("[role=status]");
    box.hidden = false;
    box.querySelector("button").addEventListener("click", function () {
      status.textContent = box.dataset.locating;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          lat.value = position.coords.latitude.toFixed(4);
          lon.value = position.coords.longitude.toFixed(4);
          status.textContent = "";
          lat.focus();
        },
        function () {
          status.textContent = box.dataset.failed;
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
      );
    });
  });
})();
