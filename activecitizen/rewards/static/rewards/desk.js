/* The cashier desk's camera scanner: reads a voucher's QR code and submits the look-up form.
   BarcodeDetector where the browser has it; otherwise jsQR (loaded only then) on video frames
   drawn into a canvas. Typing the code always works, with or without this script. */
(function () {
  "use strict";
  var button = document.getElementById("scan-button");
  var form = document.getElementById("voucher-lookup");
  if (!button || !form) return;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var input = form.querySelector('input[name="code"]');
  var box = document.getElementById("scanner");
  var video = document.getElementById("scanner-video");
  var status = document.getElementById("scanner-status");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var detector = null;
  var running = false;

  button.hidden = false;

  function say(text) { status.textContent = text || ""; }

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = button.dataset.jsqr;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function chooseReader() {
    if ("BarcodeDetector" in window && window.BarcodeDetector.getSupportedFormats) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") >= 0) {
          detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          return;
        }
        return loadJsQR();
      });
    }
    return loadJsQR();
  }

  function stop() {
    running = false;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    box.hidden = true;
    button.textContent = button.dataset.msgScan;
  }

  function found(text) {
    stop();
    input.value = text.trim();
    say("");
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function readFrame() {
    if (!running) return;
    if (video.readyState < 2) { requestAnimationFrame(readFrame); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) found(codes[0].rawValue); else requestAnimationFrame(readFrame);
      }, function () { requestAnimationFrame(readFrame); });
      return;
    }
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    if (code && code.data) found(code.data); else requestAnimationFrame(readFrame);
  }

  function start() {
    say(button.dataset.msgScanning);
    chooseReader()
      .then(function () {
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        box.hidden = false;
        running = true;
        button.textContent = button.dataset.msgStop;
        return video.play();
      })
      .then(function () { requestAnimationFrame(readFrame); })
      .catch(function () { stop(); say(button.dataset.msgNoCamera); input.focus(); });
  }

  button.addEventListener("click", function () { if (running) stop(); else start(); });
  window.addEventListener("pagehide", stop);
})();
